# vidiflow-auth — the two commands a newcomer needs:
#   make demo   build, start the dev authority, get a token through every front end, stop it
#   make test   install what the tests need, then run every test
# Each front end adds its own targets in mk/*.mk and registers them in TEST_TARGETS / DEMO_TARGETS.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
CC ?= gcc
LIB_DIR := $(CURDIR)/target/debug
BUILD_DIR := $(CURDIR)/target/make
WITH_AUTHORITY := tests/with-authority.sh
# $(BOUNDED) SECONDS NAME COMMAND...: a suite that hangs fails with a message at SECONDS.
BOUNDED := tests/bounded.sh
CFLAGS_STRICT := -std=c11 -Wall -Wextra -Werror -pedantic -g -Iinclude
VALGRIND := valgrind --quiet --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
            --error-exitcode=99

# The host-level token cache is on by default under a private XDG_RUNTIME_DIR: tests and benches
# choose their cache directories themselves, and a desktop session's must not carry tokens from
# one test run into the next.
unexport XDG_RUNTIME_DIR

TEST_TARGETS := test-rust test-c
DEMO_TARGETS := demo-c

.PHONY: all build deps deps-node deps-system test demo header generate lint stress test-rust test-c demo-c clean

all: build

build:
	$(CARGO) build

# Everything the tests need on a fresh Debian machine with Rust, Node, Python and gcc.
deps: deps-node deps-system

deps-node: tests/authority/node_modules/.package-lock.json

tests/authority/node_modules/.package-lock.json: tests/authority/package-lock.json
	npm ci --prefix tests/authority --no-audit --no-fund

# $(call apt-install,PACKAGES): installs the Debian packages not yet installed ("ok installed":
# a removed package whose config files remain does not count); apt-get update runs only then, and
# waits for another apt's lock.
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600
apt-install = missing=$$(for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(APT_GET) update -qq && $(APT_GET) install -y -qq --no-install-recommends $$missing; \
	fi

# What the tests need from Debian; each mk/*.mk adds its own.
APT_PACKAGES := valgrind pkg-config openssl
deps-system:
	@$(call apt-install,$(APT_PACKAGES))

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --all-features -- -D warnings

# Every process a suite starts carries VF_TEST_RUN in its environment, so that after the suites
# tests/leftovers.sh can tell whether any of them is still running.
export VF_TEST_RUN ?= $(shell od -An -N8 -tx1 /dev/urandom | tr -d ' \n')

test: deps lint
	$(MAKE) --no-print-directory $(TEST_TARGETS)
	tests/leftovers.sh
	@echo "make test: all suites passed ($(TEST_TARGETS))"

test-rust: deps-node
	mkdir -p $(BUILD_DIR)
	$(BOUNDED) 1500 test-rust $(CARGO) test --all-features -- --nocapture 2>&1 | tee $(BUILD_DIR)/test-rust.log
	tests/scan-secrets.sh $(BUILD_DIR)/test-rust.log

# The C contract, compiled strictly against the committed header, under valgrind: over http,
# then over https (ring's assembly needs the narrow suppressions in tests/c/ring.supp).
test-c: deps build
	mkdir -p $(BUILD_DIR)
	$(CC) $(CFLAGS_STRICT) tests/c/contract_test.c -o $(BUILD_DIR)/contract_test -L$(LIB_DIR) -lvidiflow_auth -lpthread
	LD_LIBRARY_PATH=$(LIB_DIR) $(BOUNDED) 600 test-c $(WITH_AUTHORITY) $(VALGRIND) $(BUILD_DIR)/contract_test 2>&1 \
	  | tee $(BUILD_DIR)/test-c.log
	LD_LIBRARY_PATH=$(LIB_DIR) $(BOUNDED) 600 "test-c (TLS)" $(WITH_AUTHORITY) --tls \
	  $(VALGRIND) --suppressions=tests/c/ring.supp $(BUILD_DIR)/contract_test 2>&1 | tee $(BUILD_DIR)/test-c-tls.log
	tests/scan-secrets.sh $(BUILD_DIR)/test-c.log $(BUILD_DIR)/test-c-tls.log

demo: deps-node build
	$(MAKE) --no-print-directory $(DEMO_TARGETS)

demo-c: build
	mkdir -p $(BUILD_DIR)
	$(CC) $(CFLAGS_STRICT) examples/c/get_token.c -o $(BUILD_DIR)/get_token -L$(LIB_DIR) -lvidiflow_auth
	@echo "== C: examples/c/get_token.c"
	LD_LIBRARY_PATH=$(LIB_DIR) $(WITH_AUTHORITY) $(BUILD_DIR)/get_token

# The long concurrency stress run (a 5 s version is part of make test).
STRESS_SECONDS ?= 60
stress: deps-node
	$(CARGO) run --release --example stress -- $(STRESS_SECONDS)

# Refreshes the committed header from the Rust sources.
header:
	VF_UPDATE_HEADER=1 $(CARGO) test --test header

# Rewrites everything generated from the Rust tables (src/options.rs OPTION_KEYS, src/error.rs
# Status): the header, the Python and C# tables and exceptions, the README's tables.
# tests/generated.rs fails when a committed file differs.
generate: header
	VF_UPDATE_GENERATED=1 $(CARGO) test --test generated

clean:
	$(CARGO) clean

-include $(wildcard mk/*.mk)
