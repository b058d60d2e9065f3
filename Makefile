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

# Ten minutes of mixed load through nginx on PostgreSQL, judged on unexpected
# answers, RSS, open fds and database connections (docs/soak.md). SOAK_SECONDS,
# SOAK_CLIENTS, SOAK_OUT (.soak/); AUTHGATE_BIN names a binary already built.
.PHONY: soak
soak:
	[ -n "$$AUTHGATE_BIN" ] || scripts/check-swift.sh soak
	scripts/install-deps.sh test
	[ -n "$$AUTHGATE_BIN" ] || swift build -c release
	scripts/python-env.sh
	.venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-soak.txt
	AUTHGATE_BIN="$${AUTHGATE_BIN:-$$(swift build -c release --show-bin-path)/authgate}" \
	  .venv/bin/python Tests/EndToEnd/soak.py

# The docker-compose stack on a machine with internet (deploy/production/README.md):
# build, start, wait for /healthz; `make down` stops it, keeping the data.
.PHONY: up down
up:
	scripts/compose.sh up

down:
	scripts/compose.sh down
