# Windows (issue 13): vidiflow_auth.dll for x86_64-pc-windows-gnu, built here with Debian's Rust
# (which ships the standard library's sources, so -Zbuild-std can build std for Windows) and
# mingw-w64, and tested under wine against the dev authority. See "Windows" in README.md.
#
#   make windows        release DLL, import libraries (MSVC vidiflow_auth.lib and mingw
#                       libvidiflow_auth.dll.a), .def, headers and vf-token.exe in target/win/dist;
#                       the test programs in target/win/test
#   make test-windows   under wine: the exported symbols and version resource, the C contract
#                       test, the C++ test, a herd of Windows threads (one request), vf-token.exe
#                       on a console (echo off) and through tests/cli/test_cli.sh
#                       (tests/windows/test_windows.sh)
#
# The rustup toolchain never builds here (its std has no Windows sources): Debian's rustc and
# cargo, with their own target directory. RUSTC_BOOTSTRAP=1 is for -Zbuild-std only.

TEST_TARGETS += test-windows
WINDOWS_APT_PACKAGES := rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 wine64

WIN_TARGET := x86_64-pc-windows-gnu
WIN_TARGET_DIR := $(CURDIR)/target/win
WIN_RELEASE := $(WIN_TARGET_DIR)/$(WIN_TARGET)/release
WIN_DIST := $(WIN_TARGET_DIR)/dist
WIN_TEST_DIR := $(WIN_TARGET_DIR)/test
# -D warnings: clippy (make lint) sees only the Linux build, so the Windows-only code is at least
# warning-free (dependencies' lints are capped by cargo as usual).
WIN_CARGO := env -u RUSTUP_TOOLCHAIN RUSTFLAGS="-D warnings" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc \
             RUSTC_BOOTSTRAP=1 /usr/bin/cargo
MINGW := x86_64-w64-mingw32
# The posix thread model: the C++ test uses std::thread, which gcc 12's win32 model lacks.
# Static runtimes, so the test programs need no mingw DLL beside them.
WIN_CC := $(MINGW)-gcc-posix
WIN_CXX := $(MINGW)-g++-posix
WIN_CFLAGS := -std=c11 -Wall -Wextra -Werror -pedantic -g -Iinclude -static
WIN_CXXFLAGS = $(CXXFLAGS_STRICT) -static

.PHONY: deps-windows windows test-windows

deps-windows:
	@$(call apt-install,$(WINDOWS_APT_PACKAGES))

windows: deps-windows
	$(WIN_CARGO) build --release --locked -Zbuild-std=std,panic_abort --target $(WIN_TARGET) \
	  --target-dir $(WIN_TARGET_DIR)
	rm -rf $(WIN_DIST) && mkdir -p $(WIN_DIST)/bin $(WIN_DIST)/lib $(WIN_DIST)/include
	cp $(WIN_RELEASE)/vidiflow_auth.dll $(WIN_RELEASE)/vf-token.exe $(WIN_DIST)/bin/
	cp include/vidiflow_auth.h include/vidiflow_auth.hpp $(WIN_DIST)/include/
	cp $(WIN_RELEASE)/libvidiflow_auth.dll.a $(WIN_DIST)/lib/
	packaging/windows/def-from-dll.sh $(WIN_RELEASE)/vidiflow_auth.dll > $(WIN_DIST)/lib/vidiflow_auth.def
	$(MINGW)-dlltool --machine i386:x86-64 --input-def $(WIN_DIST)/lib/vidiflow_auth.def \
	  --dllname vidiflow_auth.dll --output-lib $(WIN_DIST)/lib/vidiflow_auth.lib
	rm -rf $(WIN_TEST_DIR) && mkdir -p $(WIN_TEST_DIR)
	cp $(WIN_DIST)/bin/* $(WIN_TEST_DIR)/
	$(WIN_CC) -std=c11 -Wall -Wextra -Werror -O2 -shared tests/windows/prng_shim.c \
	  -o $(WIN_TEST_DIR)/bcryptprimitives.dll -ladvapi32
# The C programs link through the MSVC-style vidiflow_auth.lib, the C++ one through the mingw
# libvidiflow_auth.dll.a: both import libraries are used by a test.
	$(WIN_CC) $(WIN_CFLAGS) tests/c/contract_test.c -o $(WIN_TEST_DIR)/contract_test.exe \
	  $(WIN_DIST)/lib/vidiflow_auth.lib -pthread
	$(WIN_CC) $(WIN_CFLAGS) tests/windows/herd_test.c -o $(WIN_TEST_DIR)/herd_test.exe $(WIN_DIST)/lib/vidiflow_auth.lib
	$(WIN_CC) $(WIN_CFLAGS) tests/windows/version_test.c -o $(WIN_TEST_DIR)/version_test.exe \
	  $(WIN_DIST)/lib/vidiflow_auth.lib -lversion
	$(WIN_CC) $(WIN_CFLAGS) tests/cli/c_message.c -o $(WIN_TEST_DIR)/c_message.exe $(WIN_DIST)/lib/vidiflow_auth.lib
	$(WIN_CXX) $(WIN_CXXFLAGS) tests/cpp/client_test.cpp tests/cpp/second_unit.cpp \
	  -o $(WIN_TEST_DIR)/cpp_client_test.exe $(WIN_DIST)/lib/libvidiflow_auth.dll.a -pthread

test-windows: deps-node windows
	mkdir -p $(BUILD_DIR)
	WIN_TEST_DIR=$(WIN_TEST_DIR) WINEPREFIX=$(WIN_TARGET_DIR)/wine-prefix \
	  $(WITH_AUTHORITY) tests/windows/test_windows.sh 2>&1 | tee $(BUILD_DIR)/test-windows.log
	tests/scan-secrets.sh $(BUILD_DIR)/test-windows.log
