# Seismo — build, run and test. Every target installs what it needs.
SHELL := /bin/bash
GO ?= go
BIN := bin/seismo
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
STATICCHECK_VERSION := v0.8.2
# Fuzz time per target for `make fuzz` (short by design; run longer by hand).
FUZZTIME ?= 10s

.PHONY: all build run test race integration bench lint fuzz clean deps-integration

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/seismo

## run: start the engine on the built-in demo; UI and API on http://127.0.0.1:9108/
run: build
	./$(BIN) run

test:
	$(GO) test -count=1 ./...

race:
	$(GO) test -count=1 -race ./...

## integration: tests against real PostgreSQL, MariaDB and VictoriaMetrics
integration: deps-integration
	$(GO) test -count=1 -tags integration -p 1 ./...

deps-integration:
	@command -v victoria-metrics >/dev/null || { \
		echo "installing victoria-metrics (Debian package)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq victoria-metrics >/dev/null; }

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

## fuzz: a short run of every fuzz target
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg; \
		done; \
	done

clean:
	rm -rf bin seismo-demo.db seismo-demo.db-wal seismo-demo.db-shm
