# The .NET binding (bindings/csharp), built and tested with Mono's mcs: see bindings/csharp/README.md.
#   make test-csharp   the binding's test program against the dev authority
#   make demo-csharp   the example program, with the dev authority up
# Mono comes from Debian and is installed only when missing. .NET SDK users build the same
# sources with bindings/csharp/src/VidiFlow.Auth.csproj instead.

TEST_TARGETS += test-csharp
DEMO_TARGETS += demo-csharp

CSHARP_DIR := bindings/csharp
CSHARP_OUT := $(BUILD_DIR)/csharp
CSHARP_LIB := $(CSHARP_OUT)/VidiFlow.Auth.dll
CSHARP_TESTS := $(CSHARP_OUT)/VidiFlow.Auth.Tests.exe
CSHARP_DEMO := $(CSHARP_OUT)/GetToken.exe
# C# 7.2, every warning an error, and -doc so a public member without an XML comment fails (CS1591).
MCS := mcs
MCS_FLAGS := -langversion:7.2 -debug -warn:4 -warnaserror+ -nologo
MONO := mono --debug

.PHONY: build-csharp test-csharp demo-csharp bench-csharp build-hit-bench-csharp

# Mono comes from Debian, through the top-level deps-system.
APT_PACKAGES += mono-mcs mono-runtime libmono-system-net-http4.0-cil

build-csharp: deps-system
	mkdir -p $(CSHARP_OUT)
	$(MCS) $(MCS_FLAGS) -unsafe -target:library -out:$(CSHARP_LIB) -doc:$(CSHARP_OUT)/VidiFlow.Auth.xml \
	  -r:System.Net.Http.dll $(CSHARP_DIR)/src/*.cs
	$(MCS) $(MCS_FLAGS) -target:exe -out:$(CSHARP_TESTS) -r:$(CSHARP_LIB) -r:System.Net.Http.dll -r:System.Core.dll \
	  $(CSHARP_DIR)/tests/*.cs
	$(MCS) $(MCS_FLAGS) -target:exe -out:$(CSHARP_DEMO) -r:$(CSHARP_LIB) -r:System.Net.Http.dll \
	  $(CSHARP_DIR)/examples/GetToken/*.cs

# VF_LIBRARY_PATH, not LD_LIBRARY_PATH, points at the library: the test program also checks the
# other places it is searched (next to the assembly, the system's search) in child processes.
test-csharp: deps-node build build-csharp
	env -u LD_LIBRARY_PATH VF_LIBRARY_PATH=$(LIB_DIR) VF_TEST_NATIVE_DIR=$(LIB_DIR) \
	  $(BOUNDED) 900 test-csharp $(WITH_AUTHORITY) $(MONO) $(CSHARP_TESTS)

demo-csharp: deps-node build build-csharp
	@echo "== C#: bindings/csharp/examples/GetToken/Program.cs (Mono)"
	VF_LIBRARY_PATH=$(LIB_DIR) $(WITH_AUTHORITY) $(MONO) $(CSHARP_DEMO)

# Issue 15: what a cache hit costs through the binding, `TokenClient.GetToken()` on a warm cache,
# with the release library (benches/csharp/HitBench.cs; prints ns per call for each run).
# `make bench` runs the same program (vfbench.run's hit_dotnet), beside the other languages.
bench-csharp: deps-node build-hit-bench-csharp
	$(CARGO) build --release
	env -u LD_LIBRARY_PATH VF_LIBRARY_PATH=$(CURDIR)/target/release/libvidiflow_auth.so \
	  $(WITH_AUTHORITY) mono $(CSHARP_OUT)/HitBench.exe 1000000 7

build-hit-bench-csharp: build-csharp
	$(MCS) $(MCS_FLAGS) -target:exe -out:$(CSHARP_OUT)/HitBench.exe -r:$(CSHARP_LIB) benches/csharp/HitBench.cs
