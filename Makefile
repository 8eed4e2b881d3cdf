# Hearth's two commands: `make serve` runs Hearth, `make test` runs every test.
GO ?= go

.PHONY: serve test test-race build fuzz bench

serve:
	$(GO) run ./cmd/hearth serve

build:
	$(GO) build -o bin/hearth ./cmd/hearth

# Every test: vet, the unit and end-to-end tests, then each fuzz target briefly.
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...
	./scripts/fuzz.sh 50000x

# The end-to-end tests against a race-enabled hearth, and every package under the race detector.
test-race:
	$(GO) test -race -count=1 ./internal/...
	HEARTH_E2E_BUILDFLAGS=-race $(GO) test -count=1 -timeout 30m ./e2e

fuzz:
	./scripts/fuzz.sh 60s

# The micro-benchmarks of the hot paths, then every scenario of docs/PERFORMANCE.md.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./bench ./internal/...
	$(GO) run ./bench
