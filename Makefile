# aula: `make test` is the one command that installs what the tests need and
# runs everything (vet, unit tests with -race, short fuzz runs, integration
# tests with real peers). `make bench` prints the benchmark tables.

GO        ?= go
FUZZTIME  ?= 8s
BENCHTIME ?= 3s

.PHONY: all build test deps vet unit fuzz bench bench-deps clean

all: build

build:
	$(GO) build -o aula ./cmd/aula

test: deps vet unit fuzz

deps:
	@scripts/deps.sh

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

# Unit and integration tests (integration/ drives the real binary with
# Python's xmlrpc.client, sshd, rsync and openssl).
unit:
	$(GO) test -race -count=1 -timeout 8m ./...

fuzz:
	@FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

# wrk, the independent load driver beside the benchmarks' own.
bench-deps:
	@scripts/bench-deps.sh

bench: bench-deps
	@BENCHTIME=$(BENCHTIME) scripts/bench.sh

clean:
	rm -f aula
