# AuthGate: `make run` serves on :8080 behind nginx, `make test` runs every test.
.PHONY: run test build bench compose-test clean

run:
	scripts/run.sh

test:
	scripts/test.sh

build:
	scripts/install-deps.sh
	swift build -c release

clean:
	rm -rf .build .run .venv

bench:
	scripts/install-deps.sh
	scripts/python-env.sh
	.venv/bin/python deploy/bench/bench.py

compose-test:
	scripts/compose-test.sh
