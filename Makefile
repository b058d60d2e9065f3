# AuthGate: `make run` serves on :8080 behind nginx, `make test` runs every test.
.PHONY: run reload test build bench compose-test clean

run:
	scripts/run.sh

# Graceful restart of the AuthGate that `make run` started: SIGHUP makes it
# re-execute itself; the new process inherits the listening socket.
reload:
	@pid=$$(cat .run/authgate.pid 2>/dev/null) && kill -0 "$$pid" 2>/dev/null \
	  || { echo "reload: no AuthGate from make run is running (.run/authgate.pid)" >&2; exit 1; }; \
	kill -HUP "$$pid" && echo "reload: sent SIGHUP to AuthGate (pid $$pid)"

test:
	scripts/test.sh

build:
	scripts/check-swift.sh build
	scripts/install-deps.sh run
	swift build -c release

clean:
	rm -rf .build .run .venv

bench:
	[ -n "$$AUTHGATE_BIN" ] || scripts/check-swift.sh bench
	scripts/install-deps.sh bench
	scripts/python-env.sh
	.venv/bin/python deploy/bench/bench.py

compose-test:
	scripts/compose-test.sh

# The docker-compose stack on a machine with internet (deploy/production/README.md):
# build, start, wait for /healthz; `make down` stops it, keeping the data.
.PHONY: up down
up:
	scripts/compose.sh up

down:
	scripts/compose.sh down

# The end-to-end suite against a responder built with AddressSanitizer (+
# LeakSanitizer) or ThreadSanitizer; any report fails it (docs/sanitizers.md).
# sanitizers-short: CI's bounded subset, under each.
.PHONY: asan tsan sanitizers-short
asan:
	scripts/sanitizers.sh asan

tsan:
	scripts/sanitizers.sh tsan

sanitizers-short:
	scripts/sanitizers.sh asan --short
	scripts/sanitizers.sh tsan --short
