# The benchmarks of issue 7: ours beside msal, authlib, requests/httpx and curl, against the same
# dev authority in one run. Not part of `make test`. See benches/README.md.
#
#   make bench         release build, the C harness (benches/c), a venv at target/bench-venv with
#                      the pinned peers (benches/requirements.txt), the dev authority's npm
#                      packages, and hyperfine/valgrind from Debian when missing; then runs every
#                      measurement (about 6 minutes on 2 cores) and writes benches/REPORT.md.
#                      Raw results: target/bench/results.json.
#   make bench-quick   the same with tiny counts, to check the suite in about a minute; writes
#                      target/bench/REPORT-quick.md (its numbers mean nothing).
#   make bench-build   only the preparation: build, harness, venv, packages (to run parts by hand).

BENCH_DIR := $(CURDIR)/target/bench
BENCH_BIN := $(BENCH_DIR)/bin
# The harness links against target/release through this directory, which also names the
# library by its SONAME (if it has one), so the programs run without LD_LIBRARY_PATH.
BENCH_LIB_DIR := $(BENCH_DIR)/lib
BENCH_RELEASE_LIB := $(CURDIR)/target/release/libvidiflow_auth.so
BENCH_PROGRAMS := hit herd cycles refresh reference shared fleet
BENCH_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -Iinclude
BENCH_VENV := $(CURDIR)/target/bench-venv
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_PYTHON ?= python3
BENCH_DEPS_STAMP := $(BENCH_VENV)/.vf-bench-deps
BENCH_APT_PACKAGES := hyperfine valgrind strace openssl curl binutils
# The suite imports the binding from its sources and loads the release library through
# VF_LIBRARY_PATH (vfbench/run.py sets it for its workers): nothing is installed or written
# under bindings/.
BENCH_RUN := env PYTHONPATH=$(CURDIR)/benches/python PYTHONPYCACHEPREFIX=$(BENCH_DIR)/pycache $(BENCH_PY) -m

.PHONY: bench bench-quick bench-build bench-deps bench-venv bench-host-cache

bench: bench-build
	$(BENCH_RUN) vfbench.run --out $(BENCH_DIR)/results.json
	$(BENCH_RUN) vfbench.report --results $(BENCH_DIR)/results.json --out benches/REPORT.md
	$(MAKE) --no-print-directory bench-host-cache
	$(MAKE) --no-print-directory bench-fleet

bench-quick: bench-build
	$(BENCH_RUN) vfbench.run --quick --out $(BENCH_DIR)/results-quick.json
	$(BENCH_RUN) vfbench.report --results $(BENCH_DIR)/results-quick.json --out $(BENCH_DIR)/REPORT-quick.md
	$(BENCH_RUN) vfbench.hostcache --quick --out $(BENCH_DIR)/host-cache-quick.json \
	  --report $(BENCH_DIR)/REPORT-host-cache-quick.md
	$(BENCH_RUN) vfbench.fleet --quick --out $(BENCH_DIR)/fleet-quick.json --report $(BENCH_DIR)/REPORT-fleet-quick.md

# Issue 12: the host-level cache with many processes, beside msal + msal-extensions (about
# 15 minutes on 2 cores, most of it msal's Python processes); writes benches/REPORT-host-cache.md.
bench-host-cache: bench-build
	$(BENCH_RUN) vfbench.hostcache --out $(BENCH_DIR)/host-cache.json --report benches/REPORT-host-cache.md

bench-build: deps-node bench-deps bench-venv build-hit-bench-csharp
	$(CARGO) build --release
	mkdir -p $(BENCH_BIN) $(BENCH_LIB_DIR)
	ln -sf $(BENCH_RELEASE_LIB) $(BENCH_LIB_DIR)/libvidiflow_auth.so
	soname=$$(readelf -d $(BENCH_RELEASE_LIB) | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p'); \
	if [ -n "$$soname" ] && [ "$$soname" != libvidiflow_auth.so ]; then \
	  ln -sf $(BENCH_RELEASE_LIB) $(BENCH_LIB_DIR)/$$soname; \
	fi
	for p in $(BENCH_PROGRAMS); do \
	  $(CC) $(BENCH_CFLAGS) benches/c/$$p.c -o $(BENCH_BIN)/$$p -L$(BENCH_LIB_DIR) -lvidiflow_auth -pthread \
	    -Wl,-rpath,$(BENCH_LIB_DIR); \
	done

# Debian packages, installed only when missing (see apt-install in the Makefile).
bench-deps:
	@$(call apt-install,$(BENCH_APT_PACKAGES))

# Its own venv (never the tests' .venv), made again only when the requirements change.
$(BENCH_DEPS_STAMP): benches/requirements.txt | deps-python-venv
	[ -x $(BENCH_PY) ] || $(BENCH_PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --disable-pip-version-check -r benches/requirements.txt
	touch $@

bench-venv: $(BENCH_DEPS_STAMP)
