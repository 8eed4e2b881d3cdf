# Hearth's two commands: `make serve` runs Hearth, `make test` runs every test.
GO ?= go

.PHONY: serve test build fuzz bench

serve:
	$(GO) run ./cmd/hearth serve

build:
	$(GO) build -o bin/hearth ./cmd/hearth

# Every test: vet, the unit and end-to-end tests, then each fuzz target briefly.
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...
	./scripts/fuzz.sh 50000x

fuzz:
	./scripts/fuzz.sh 60s

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...
