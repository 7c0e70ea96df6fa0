# Padlock's entry points. `make run` and `make test` are the two a newcomer needs; see README.md.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SEEDS ?= 1-5000

.PHONY: run test deps build release install fuzz bench format sim example chaos chaos-self-check docs e2e

# Installs Debian's libuv1-dev (the event loop), libssl-dev (TLS, decision 0010) and libsqlite3-dev (GRDB, for
# the SQLite fencing helper) when pkg-config cannot find them, the openssl command the TLS tests make their
# throwaway certificates with, nftables and iproute2 for the chaos harness's packet faults, and
# python3-prometheus-client, the Prometheus parser MetricsTests reads a live node's /metrics with (decision 0012),
# and postgresql when initdb is missing: PadlockPostgresTests and `make e2e POSTGRES=1` start a throwaway server
# with it (Debian keeps initdb in /usr/lib/postgresql/VERSION/bin; as root the tests run it as user postgres).
deps:
	@if ! pkg-config --exists libuv openssl sqlite3 2>/dev/null || ! command -v openssl >/dev/null 2>&1 \
		|| ! command -v nft >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then \
		echo "installing libuv1-dev, libssl-dev, openssl, libsqlite3-dev, pkg-config, nftables and iproute2 through apt"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libuv1-dev libssl-dev openssl libsqlite3-dev pkg-config nftables iproute2; \
	fi
	@if ! /usr/bin/python3 -c 'import prometheus_client' >/dev/null 2>&1; then \
		echo "installing python3-prometheus-client through apt"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-prometheus-client; \
	fi
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then \
		echo "installing postgresql through apt (PadlockPostgresTests start a throwaway server)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql; \
	fi

build: deps
	$(SWIFT) build

# Only the shipped programs: `make run` needs padlock and padlockd, `make bench` padlock-bench; the libraries
# (PadlockPostgres's postgres-nio above all) are not compiled in release mode for them.
release: deps
	$(SWIFT) build -c release --product padlock
	$(SWIFT) build -c release --product padlockd
	$(SWIFT) build -c release --product padlock-bench

# Installs padlock and padlockd into $(PREFIX)/bin (default /usr/local/bin), so `padlock status` works from
# anywhere; `padlock dev`'s hints then say `padlock` instead of the path it was started by.
PREFIX ?= /usr/local
install: release
	$(SUDO) install -d $(DESTDIR)$(PREFIX)/bin
	$(SUDO) install -m 0755 .build/release/padlock .build/release/padlockd $(DESTDIR)$(PREFIX)/bin/

# The integration tests start the padlockd and padlock executables, so every product is built first.
# PadlockPostgresTests start their own PostgreSQL server (deps installs it).
test: deps
	$(SWIFT) format lint --strict --recursive --parallel Sources Tests Package.swift
	$(SWIFT) build --build-tests
	$(SWIFT) test

# Runs one million random and mutated inputs through every frame and message decoder, then one million
# configuration documents through the TOML parser and the padlockd settings schema.
fuzz: deps
	$(SWIFT) build -c release --product padlock-fuzz
	.build/release/padlock-fuzz --iterations 1000000

# Thousands of simulator seeds and the self-test, from a release build (docs/simulation.md).
sim: deps
	$(SWIFT) build -c release --product padlock-sim
	.build/release/padlock-sim --self-test --controls 100
	.build/release/padlock-sim --seeds $(SEEDS)
	.build/release/padlock-sim --seeds 1-500 --nodes 5

bench: release
	.build/release/padlock-bench --help

# Builds the example CRM editor (its own package, depending on this one by path, with its own .build). Not part
# of `make test`: its first build compiles GRDB and the client again, a few minutes on two cores. Run it with
# `Examples/CRMEditor/.build/debug/CRMEditor` while `make run` serves (Examples/CRMEditor/README.md).
example: deps
	$(SWIFT) build --package-path Examples/CRMEditor

# The CRM in a browser (Examples/CRMWeb, issue 23) driven by headless Chromium: builds padlock and padlockd (the
# main package's debug build, which `make test` has already made) and the example (its own .build), installs
# Debian's chromium and chromium-driver and Python selenium when missing, starts `padlock dev` and the app server
# on free loopback ports, runs the five steps with Alice, Bob and Carol, and stops everything it started.
# Screenshots and timings land in .e2e/. `make e2e POSTGRES=1` runs the same steps with the records in a throwaway
# PostgreSQL server (`--database postgres://…`) instead of SQLite.
POSTGRES ?=
PYTHON ?= python3
e2e: deps
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
		echo "installing chromium and chromium-driver through apt"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver; \
	fi
	@if ! $(PYTHON) -c 'import selenium' >/dev/null 2>&1; then \
		echo "installing selenium through pip"; $(PYTHON) -m pip install --quiet selenium; \
	fi
	$(SWIFT) build --product padlock
	$(SWIFT) build --product padlockd
	$(SWIFT) build --package-path Examples/CRMWeb --product CRMWeb
	$(PYTHON) Examples/CRMWeb/e2e/run.py $(if $(filter-out 0,$(POSTGRES)),--postgres)

# Builds in release mode and runs a local three-node cluster on loopback until Ctrl-C (docs/operations.md).
run: release
	.build/release/padlock dev --dir .padlock-dev --nodes 3

# 60 s of every fault against three real nodes, then the checkers (chaos/README.md). SEED=N picks the schedule.
SEED ?= 1
chaos: deps
	CHAOS_REBUILD=1 chaos/run --duration 60s --seed $(SEED)

# The same with fencing disabled in the store: succeeds when the checkers report the violations it causes.
chaos-self-check: deps
	CHAOS_REBUILD=1 chaos/run --duration 30s --seed $(SEED) --self-check

# The client library's DocC documentation in .build/docs/PadlockClient.doccarchive (`docc preview` serves it).
# The symbol graph includes PadlockTypes, which PadlockClient re-exports, so the types every call returns
# (KeyInspection, AuditPage, NodeStatus, ...) are documented and linked from the catalog's articles.
DOCS_BUILD = .build/$(shell uname -m)-unknown-linux-gnu/debug
docs: deps
	$(SWIFT) build --target PadlockClient
	rm -rf .build/docs/symbol-graphs && mkdir -p .build/docs/symbol-graphs
	swift-symbolgraph-extract -module-name PadlockClient -target $(shell uname -m)-unknown-linux-gnu \
		-I $(DOCS_BUILD)/Modules -module-cache-path $(DOCS_BUILD)/ModuleCache \
		-Xcc -fmodule-map-file=$(CURDIR)/Sources/CLibUV/module.modulemap \
		-Xcc -fmodule-map-file=$(CURDIR)/Sources/COpenSSL/module.modulemap \
		-minimum-access-level public -experimental-allowed-reexported-modules=PadlockTypes \
		-output-dir .build/docs/symbol-graphs
	docc convert Sources/PadlockClient/PadlockClient.docc --additional-symbol-graph-dir .build/docs/symbol-graphs \
		--fallback-display-name PadlockClient --fallback-bundle-identifier padlock.client \
		--output-dir .build/docs/PadlockClient.doccarchive

format:
	swift format --in-place --recursive Sources Tests Package.swift
