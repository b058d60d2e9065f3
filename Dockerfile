# AuthGate image: a Swift 6 bookworm image builds the release binary; a
# bookworm-slim runtime carries it with only the C libraries it links.
FROM swift:6.3-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libfcgi-dev libpq-dev libssl-dev libsqlite3-dev libicu-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# A build context that carries resolved packages (.build/checkouts) builds
# without network; otherwise SwiftPM fetches them as usual.
COPY . .
RUN swift build -c release --product authgate --static-swift-stdlib \
 && install -D -m 755 "$(swift build -c release --show-bin-path)/authgate" /out/authgate

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libfcgi0ldbl libpq5 libssl3 libsqlite3-0 libicu72 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/authgate authgate \
 && install -d -o authgate -g authgate -m 0700 /var/lib/authgate \
 && install -d -o authgate -g www-data -m 2750 /run/authgate
COPY --from=build /out/authgate /usr/local/bin/authgate
# The FastCGI socket (0660, in /run/authgate, a volume shared with nginx
# only) must get the group of nginx's workers: www-data, gid 33 in every
# Debian-based image, the official nginx image included. So as not to
# depend on a volume keeping the folder's setgid bit, it is the process's own.
USER authgate:www-data
WORKDIR /var/lib/authgate
ENV AUTHGATE_LISTEN=unix:/run/authgate/authgate.sock
# AuthGate speaks FastCGI, not HTTP: its own subcommand checks the listener
# and the database.
HEALTHCHECK --interval=5s --timeout=5s --retries=12 CMD ["authgate", "healthcheck"]
# PID 1 handles SIGTERM itself: stop accepting, finish in-flight requests, exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["authgate"]
# --supervise: PID 1 stays while SIGHUP restarts the responder gracefully.
CMD ["serve", "--supervise"]
