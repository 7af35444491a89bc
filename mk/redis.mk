# Issue 14, the fleet-level token cache: its tests start a real redis-server (plain and TLS) on
# loopback, and so does its benchmark.
APT_PACKAGES += redis-server
BENCH_APT_PACKAGES += redis-server

.PHONY: bench-fleet

# Hosts sharing tokens through Redis: a cold start of 32 hosts x 4 threads, and the latency of a
# Redis hit for a new process (about a minute on 2 cores); writes benches/REPORT-fleet.md.
bench-fleet: bench-build
	$(BENCH_RUN) vfbench.fleet --out $(BENCH_DIR)/fleet.json --report benches/REPORT-fleet.md
