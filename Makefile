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

## integration: tests against real PostgreSQL, MariaDB, VictoriaMetrics and Chromium
integration: deps-integration
	$(GO) test -count=1 -tags integration -p 1 ./...

# The integration suite's real peers that come from Debian packages:
# VictoriaMetrics and Alertmanager (started by the tests on ports of their
# own) and Chromium (headless, for the web UI).
INTEGRATION_PACKAGES := victoria-metrics:victoria-metrics chromium:chromium prometheus-alertmanager:prometheus-alertmanager

deps-integration:
	@missing=""; for pair in $(INTEGRATION_PACKAGES); do \
		command -v "$${pair%%:*}" >/dev/null || missing="$$missing $${pair##*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

## bench: Go benchmarks, then the benchmark commands (each prints a table and a summary line)
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	$(GO) run ./benchmarks/pipeline
	$(GO) run ./benchmarks/nab -detector all
	GOMAXPROCS=1 $(GO) run ./benchmarks/loghub -settings default
	GOMAXPROCS=1 $(GO) run ./benchmarks/loghub -settings benchmark
	GOMAXPROCS=1 $(GO) run ./benchmarks/alertrouter

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
	rm -rf bin seismo-demo*.db seismo-demo*.db-wal seismo-demo*.db-shm
