# Release artifacts that load where media tools run (issue 18): glibc 2.28 binaries, a manylinux
# wheel and a NuGet package, in target/dist/. See "Install" in the README.
#
#   make dist              build with cargo-zigbuild for glibc $(DIST_GLIBC) (tools pinned in
#                          packaging/dist/requirements.txt, installed into target/dist-venv), check
#                          that no imported glibc symbol is newer, strip, then write:
#                            vidiflow-auth-VERSION-linux-x86_64.tar.gz   relocatable tree (make install's layout)
#                            vidiflow_auth-VERSION-py3-none-manylinux_2_28_x86_64.whl   (auditwheel-checked)
#                            VidiFlow.Auth.VERSION.nupkg                 lib/netstandard2.0 + runtimes/linux-x64/native
#   make test-dist         install each artifact on a clean prefix and use it against the dev
#                          authority; the C contract, C++, CLI, Python and C# suites against the
#                          glibc 2.28 build (tests/dist/test_dist.sh)
#   make test-dist-check   the glibc symbol check itself, on the ordinary release build (in make test)
#
# Not in `make test`: the zig build is a second full release build (about 5 minutes on 2 shared
# cores), and test-dist adds the suites again. Run `make dist test-dist` before a release.

TEST_TARGETS += test-dist-check

DIST_DIR := $(CURDIR)/target/dist
DIST_STAGE := $(CURDIR)/target/dist-stage
DIST_VENV := $(CURDIR)/target/dist-venv
DIST_PY := $(DIST_VENV)/bin/python
DIST_TOOLS_STAMP := $(DIST_VENV)/.vf-dist-tools
# The oldest glibc the binaries load on (the VFX Reference Platform's, RHEL 8's).
DIST_GLIBC := 2.28
DIST_TRIPLE := x86_64-unknown-linux-gnu
DIST_BUILD := $(CURDIR)/target/$(DIST_TRIPLE)/release
DIST_NATIVE := $(DIST_STAGE)/native
DIST_CSHARP := $(DIST_STAGE)/csharp
DIST_WHEEL_PLATFORM := manylinux_$(subst .,_,$(DIST_GLIBC))_x86_64
# The Windows DLL for the NuGet package's runtimes/win-x64/native/ (issue 13 builds it; nothing
# here builds for Windows). Empty unless that build exists; set it to pack another DLL.
DIST_WIN_X64_DLL ?= $(wildcard $(CURDIR)/target/win/dist/bin/vidiflow_auth.dll)
# Mono's mcs and Debian's nuget client (test-dist installs with it), objdump for the glibc check.
DIST_APT_PACKAGES := binutils mono-mcs mono-runtime libmono-system-net-http4.0-cil nuget

.PHONY: dist dist-deps dist-tools dist-native dist-csharp test-dist test-dist-check

dist-deps:
	@$(call apt-install,$(DIST_APT_PACKAGES))

# Its own venv, made again only when the pinned requirements change.
$(DIST_TOOLS_STAMP): packaging/dist/requirements.txt | deps-python-venv
	[ -x $(DIST_PY) ] || $(PYTHON) -m venv $(DIST_VENV)
	$(DIST_PY) -m pip install --quiet --disable-pip-version-check -r packaging/dist/requirements.txt
	touch $@

dist-tools: $(DIST_TOOLS_STAMP)

# cargo-zigbuild finds zig as `python3 -m ziglang` of the venv, first on PATH. The ".2.28"
# suffix makes zig link against glibc 2.28's symbol versions; the output is the usual
# target/x86_64-unknown-linux-gnu/release. Stripped copies go to the staging folder.
dist-native: dist-deps dist-tools
	PATH="$(DIST_VENV)/bin:$$PATH" $(CARGO) zigbuild --release --target $(DIST_TRIPLE).$(DIST_GLIBC)
	packaging/dist/check-glibc.sh $(DIST_GLIBC) $(DIST_BUILD)/libvidiflow_auth.so $(DIST_BUILD)/vf-token
	rm -rf $(DIST_NATIVE) && mkdir -p $(DIST_NATIVE)
	cp $(DIST_BUILD)/libvidiflow_auth.so $(DIST_BUILD)/libvidiflow_auth.a $(DIST_BUILD)/vf-token $(DIST_NATIVE)/
	strip --strip-unneeded $(DIST_NATIVE)/libvidiflow_auth.so $(DIST_NATIVE)/vf-token
	strip --strip-debug $(DIST_NATIVE)/libvidiflow_auth.a

# The package's assembly: the C# tests' mcs build (mk/csharp.mk), optimised, without -debug.
dist-csharp: dist-deps
	rm -rf $(DIST_CSHARP) && mkdir -p $(DIST_CSHARP)
	$(MCS) -langversion:7.2 -optimize+ -warn:4 -warnaserror+ -nologo -target:library \
	  -out:$(DIST_CSHARP)/VidiFlow.Auth.dll -doc:$(DIST_CSHARP)/VidiFlow.Auth.xml \
	  -r:System.Net.Http.dll $(CSHARP_DIR)/src/*.cs

dist: dist-native dist-csharp
	rm -rf $(DIST_DIR) && mkdir -p $(DIST_DIR)
	$(PYTHON) packaging/dist/third_party_licenses.py --target $(DIST_TRIPLE) $(DIST_STAGE)/THIRD-PARTY-LICENSES.md
	packaging/dist/tarball.sh --version $(VF_VERSION) --from $(DIST_NATIVE) \
	  --third-party $(DIST_STAGE)/THIRD-PARTY-LICENSES.md --out $(DIST_DIR)
	packaging/dist/wheel.sh --python $(DIST_PY) --library $(DIST_NATIVE)/libvidiflow_auth.so \
	  --platform $(DIST_WHEEL_PLATFORM) --out $(DIST_DIR)
	$(PYTHON) packaging/dist/nupkg.py --version $(VF_VERSION) --out $(DIST_DIR) \
	  --assembly $(DIST_CSHARP)/VidiFlow.Auth.dll --doc $(DIST_CSHARP)/VidiFlow.Auth.xml \
	  --readme $(CSHARP_DIR)/README.md --linux-x64 $(DIST_NATIVE)/libvidiflow_auth.so \
	  $(if $(DIST_WIN_X64_DLL),--win-x64 $(DIST_WIN_X64_DLL)) \
	  --epoch $$(git log -1 --format=%ct 2>/dev/null || echo 0)
	@echo "make dist: glibc $(DIST_GLIBC) build, in $(DIST_DIR):"
	@cd $(DIST_DIR) && ls -l --block-size=K | tail -n +2

test-dist: deps build-csharp dist
	DIST_DIR=$(DIST_DIR) DIST_GLIBC=$(DIST_GLIBC) DIST_WHEEL_PLATFORM=$(DIST_WHEEL_PLATFORM) PYTHON=$(PYTHON) \
	  CC="$(CC)" CXX="$(CXX)" CSHARP_TESTS=$(CSHARP_TESTS) tests/dist/test_dist.sh

# The check `make dist` relies on, proved able to fail: the ordinary release build (linked
# against this machine's glibc) must pass at that glibc's version and fail far below it.
test-dist-check: build-release
	tests/dist/test_check_glibc.sh $(RELEASE_DIR)/libvidiflow_auth.so $(RELEASE_DIR)/vf-token
