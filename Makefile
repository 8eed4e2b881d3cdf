# Hearth's two commands: `make serve` runs Hearth, `make test` runs every test.
GO ?= go

.PHONY: serve test test-race build fuzz bench release generate

# The small init of isolated environments, which go build embeds into hearth
# (internal/sandbox/initbin); a hearth built without it says so and is slower.
generate:
	$(GO) generate ./internal/sandbox

serve: generate
	$(GO) run ./cmd/hearth serve

build: generate
	$(GO) build -o bin/hearth ./cmd/hearth

# Every test: vet, the unit and end-to-end tests, then each fuzz target briefly.
test: generate
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...
	./scripts/fuzz.sh 50000x

# The end-to-end tests against a race-enabled hearth, and every package under the race detector.
test-race: generate
	$(GO) test -race -count=1 ./internal/...
	HEARTH_E2E_BUILDFLAGS=-race $(GO) test -count=1 -timeout 30m ./e2e

fuzz:
	./scripts/fuzz.sh 60s

# The micro-benchmarks of the hot paths, then every scenario of docs/PERFORMANCE.md.
bench: generate
	$(GO) test -run '^$$' -bench . -benchmem ./bench ./internal/...
	$(GO) run ./bench

# Static binaries for linux/amd64 and linux/arm64 in $(DIST), stamped with
# the version, commit and build date that `hearth version` prints.
DIST ?= dist
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
RELEASE_LDFLAGS = -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(BUILD_DATE)

release:
	mkdir -p $(DIST)
	for arch in amd64 arm64; do \
		GOOS=linux GOARCH=$$arch $(GO) generate ./internal/sandbox || exit 1; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -buildvcs=false \
			-ldflags '$(RELEASE_LDFLAGS)' -o $(DIST)/hearth-linux-$$arch ./cmd/hearth || exit 1; \
	done
	cd $(DIST) && sha256sum hearth-linux-amd64 hearth-linux-arm64 > SHA256SUMS
