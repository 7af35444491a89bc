# Fuzzing with cargo fuzz (libFuzzer) on the stable toolchain: see fuzz/README.md.
#
#   make fuzz                          each target for FUZZ_SECONDS (default 60) under AddressSanitizer
#   make fuzz FUZZ_SECONDS=300         longer
#   make fuzz FUZZ_TARGETS=options     only some targets (default: all three)
#   make fuzz FUZZ_SANITIZER=none      no sanitizer: faster, and needs no unstable flag at all
#
# Not part of `make test` (no TEST_TARGETS entry): a fuzz run is open-ended work, not a check
# with a fixed answer. New inputs go to fuzz/corpus/<target>/ (ignored by git; the committed
# seeds are in fuzz/seeds/<target>/), and a crashing input to fuzz/artifacts/<target>/.

FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= token_response discovery_document options
FUZZ_SANITIZER ?= address
FUZZ_DIR := $(CURDIR)/fuzz
CARGO_FUZZ_VERSION := 0.13.2
# cargo fuzz hands rustc -Zsanitizer=address, a nightly-only flag; RUSTC_BOOTSTRAP=1 makes the
# stable rustc accept it (the sanitizer runtime ships with the stable toolchain). Set only for
# these commands, never for the project's ordinary builds.
FUZZ_ENV := RUSTC_BOOTSTRAP=1

.PHONY: fuzz fuzz-deps

# Installed only when `cargo fuzz` is missing.
fuzz-deps:
	@$(CARGO) fuzz --version >/dev/null 2>&1 || \
	  $(CARGO) install cargo-fuzz --locked --version $(CARGO_FUZZ_VERSION)

# The fuzz crate is a workspace of its own, so it has its own lock file. Starting it from the
# project's (both ignored by git, made by the first build) fuzzes the library with the same
# dependency versions as every other build; cargo then only adds libfuzzer-sys and a few more.
Cargo.lock:
	$(CARGO) generate-lockfile

$(FUZZ_DIR)/Cargo.lock: Cargo.lock
	cp $< $@

# Every target runs even if one fails; the run fails at the end if any did.
fuzz: fuzz-deps $(FUZZ_DIR)/Cargo.lock
	@failed=""; \
	for target in $(FUZZ_TARGETS); do \
	  mkdir -p "$(FUZZ_DIR)/corpus/$$target"; \
	  echo "== cargo fuzz run $$target: $(FUZZ_SECONDS) s, sanitizer $(FUZZ_SANITIZER)"; \
	  $(FUZZ_ENV) $(CARGO) fuzz run --sanitizer $(FUZZ_SANITIZER) "$$target" \
	    "$(FUZZ_DIR)/corpus/$$target" "$(FUZZ_DIR)/seeds/$$target" \
	    -- -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 || failed="$$failed $$target"; \
	done; \
	if [ -n "$$failed" ]; then \
	  echo "make fuzz: failed:$$failed (a build error above, or a crash: its input is in fuzz/artifacts/<target>/)"; exit 1; \
	fi; \
	echo "make fuzz: no crash in $(FUZZ_TARGETS) ($(FUZZ_SECONDS) s each)"
