# AuthGate: `make run` serves on :8080 behind nginx, `make test` runs every test.
.PHONY: run reload test build bench compose-test clean fuzz fuzz-merge

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
	swift build -c release --product authgate

clean:
	rm -rf .build .run .venv

bench:
	[ -n "$$AUTHGATE_BIN" ] || scripts/check-swift.sh bench
	scripts/install-deps.sh bench
	scripts/python-env.sh
	.venv/bin/python deploy/bench/bench.py

compose-test:
	scripts/compose-test.sh

# libFuzzer + AddressSanitizer over each fuzz target, FUZZ_SECONDS each
# (default 300); report in .build-fuzz/report.txt (docs/fuzzing.md).
# fuzz-merge folds what was found into the committed corpus, minimized.
fuzz:
	scripts/check-swift.sh fuzz
	scripts/install-deps.sh run
	scripts/fuzz.sh

fuzz-merge:
	scripts/check-swift.sh fuzz
	scripts/install-deps.sh run
	scripts/fuzz.sh merge

# Ten minutes of mixed load through nginx on PostgreSQL, judged on unexpected
# answers, RSS, open fds and database connections (docs/soak.md). SOAK_SECONDS,
# SOAK_CLIENTS, SOAK_OUT (.soak/); AUTHGATE_BIN names a binary already built.
.PHONY: soak
soak:
	[ -n "$$AUTHGATE_BIN" ] || scripts/check-swift.sh soak
	scripts/install-deps.sh test
	[ -n "$$AUTHGATE_BIN" ] || swift build -c release --product authgate
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

# Two AuthGate hosts in network namespaces (needs root) behind one front
# nginx, on one PostgreSQL: the full form of Tests/EndToEnd/test_two_hosts.py
# (1,000 revocation trials; `make test` runs 200). Figures on stdout and in
# .run/twohost.json; docs/scale-out.md.
.PHONY: twohost
twohost:
	scripts/check-swift.sh twohost
	scripts/install-deps.sh test
	swift build
	scripts/python-env.sh
	mkdir -p .run
	AUTHGATE_TWOHOST_TRIALS=1000 AUTHGATE_TWOHOST_REPORT=.run/twohost.json \
	AUTHGATE_BIN="$$(swift build --show-bin-path)/authgate" \
	.venv/bin/python -m pytest -q -s Tests/EndToEnd/test_two_hosts.py

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
