# AuthGate: `make run` serves on :8080 behind nginx, `make test` runs every test.
# `make help` lists every target with the line after its `##`.
.PHONY: help run reload test check build clean bench compose-test fuzz fuzz-merge soak up down twohost \
        asan tsan sanitizers-short

help: ## this list
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

run: ## serve AuthGate behind nginx on http://127.0.0.1:8080 (Ctrl-C stops it)
	scripts/run.sh

# Graceful restart of the AuthGate that `make run` started: SIGHUP makes it
# re-execute itself; the new process inherits the listening socket.
reload: ## graceful restart of the AuthGate that make run started
	@pid=$$(cat .run/authgate.pid 2>/dev/null) && kill -0 "$$pid" 2>/dev/null \
	  || { echo "reload: no AuthGate from make run is running (.run/authgate.pid)" >&2; exit 1; }; \
	kill -HUP "$$pid" && echo "reload: sent SIGHUP to AuthGate (pid $$pid)"

test: ## every test: docs and format checks, unit tests, the whole end-to-end suite
	scripts/test.sh

# The edit-test loop: the same checks and unit tests, and the end-to-end
# tests not marked slow (Tests/EndToEnd/pytest.ini).
check: ## quick loop: build, unit tests, end-to-end tests not marked slow
	scripts/test.sh -m "not slow"

build: ## release build of the authgate binary
	scripts/check-swift.sh build
	scripts/install-deps.sh run
	swift build -c release --product authgate

clean: ## remove .build, .run and .venv
	rm -rf .build .run .venv

bench: ## wrk through nginx beside the C libfcgi ceiling, floods, scale
	[ -n "$$AUTHGATE_BIN" ] || scripts/check-swift.sh bench
	scripts/install-deps.sh bench
	scripts/python-env.sh
	.venv/bin/python deploy/bench/bench.py

compose-test: ## the docker-compose stack for real, on a private Docker engine
	scripts/compose-test.sh

# libFuzzer + AddressSanitizer over each fuzz target, FUZZ_SECONDS each
# (default 300); report in .build-fuzz/report.txt (docs/fuzzing.md).
# fuzz-merge folds what was found into the committed corpus, minimized.
fuzz: ## libFuzzer + ASan over every parser, FUZZ_SECONDS each
	scripts/check-swift.sh fuzz
	scripts/install-deps.sh run
	scripts/fuzz.sh

fuzz-merge: ## fold new fuzz findings into the committed corpus
	scripts/check-swift.sh fuzz
	scripts/install-deps.sh run
	scripts/fuzz.sh merge

# Ten minutes of mixed load through nginx on PostgreSQL, judged on unexpected
# answers, RSS, open fds and database connections (docs/soak.md). SOAK_SECONDS,
# SOAK_CLIENTS, SOAK_OUT (.soak/); AUTHGATE_BIN names a binary already built.
soak: ## ten minutes of mixed load, judged on answers, RSS, fds, connections
	[ -n "$$AUTHGATE_BIN" ] || scripts/check-swift.sh soak
	scripts/install-deps.sh test
	[ -n "$$AUTHGATE_BIN" ] || swift build -c release --product authgate
	scripts/python-env.sh
	.venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements-soak.txt
	AUTHGATE_BIN="$${AUTHGATE_BIN:-$$(swift build -c release --show-bin-path)/authgate}" \
	  .venv/bin/python Tests/EndToEnd/soak.py

# The docker-compose stack on a machine with internet (deploy/production/README.md):
# build, start, wait for /healthz; `make down` stops it, keeping the data.
up: ## the docker-compose stack on a machine with a registry
	scripts/compose.sh up

down: ## stop that stack, keeping its data
	scripts/compose.sh down

# Two AuthGate hosts in network namespaces (needs root) behind one front
# nginx, on one PostgreSQL: the full form of Tests/EndToEnd/test_two_hosts.py
# (1,000 revocation trials; `make test` runs 200). Figures on stdout and in
# .run/twohost.json; docs/scale-out.md.
twohost: ## two hosts in network namespaces on one PostgreSQL (root)
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
asan: ## the end-to-end suite against an AddressSanitizer build
	scripts/sanitizers.sh asan

tsan: ## the end-to-end suite against a ThreadSanitizer build
	scripts/sanitizers.sh tsan

sanitizers-short: ## CI's bounded subset under both sanitizers
	scripts/sanitizers.sh asan --short
	scripts/sanitizers.sh tsan --short
