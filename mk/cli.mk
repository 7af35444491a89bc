# vf-token, the C++ header and the installable C library (issue 6).
#
#   make install [PREFIX=/usr/local] [DESTDIR=]   release build, then the library (with SONAME
#                                                 links), headers, pkg-config and CMake files,
#                                                 and vf-token; BINDIR, LIBDIR, INCLUDEDIR too
#   make uninstall [PREFIX=...] [DESTDIR=...]      removes all of that
#   make test-cli       vf-token against the dev authority (tests/cli/test_cli.sh)
#   make test-cpp       the C++17 wrapper's test (strict warnings, valgrind) and example
#   make test-install   install into a temporary prefix, build with pkg-config and CMake, check
#                       the exported symbols (tests/install/test_install.sh)
#   make demo-cli       vf-token --header and --json against the dev authority
#   make demo-cpp       examples/cpp/get_token.cpp against the dev authority

TEST_TARGETS += test-cli test-cpp test-install
DEMO_TARGETS += demo-cli demo-cpp
# g++ for the C++ wrapper, CMake for the find_package test, curl for the shell example.
APT_PACKAGES += g++ cmake curl

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
RELEASE_DIR := $(CURDIR)/target/release
VF_VERSION := $(shell sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
INSTALL_DIRS := --prefix "$(PREFIX)" --destdir "$(DESTDIR)" --bindir "$(BINDIR)" --libdir "$(LIBDIR)" \
                --includedir "$(INCLUDEDIR)"

CXXFLAGS_STRICT := -std=c++17 -Wall -Wextra -Werror -pedantic -Wconversion -Wsign-conversion -Wshadow \
                   -Wold-style-cast -Wnon-virtual-dtor -g -Iinclude

.PHONY: install uninstall build-release test-cli test-cpp test-install demo-cli demo-cpp

build-release:
	$(CARGO) build --release

install: build-release
	packaging/install.sh install $(INSTALL_DIRS) --version "$(VF_VERSION)" --from "$(RELEASE_DIR)"

uninstall:
	packaging/install.sh uninstall $(INSTALL_DIRS)

test-cli: deps build
	mkdir -p $(BUILD_DIR)
	$(CC) $(CFLAGS_STRICT) tests/cli/c_message.c -o $(BUILD_DIR)/cli_c_message -L$(LIB_DIR) -lvidiflow_auth
	LD_LIBRARY_PATH=$(LIB_DIR) VF_TOKEN=$(LIB_DIR)/vf-token VF_C_MESSAGE=$(BUILD_DIR)/cli_c_message \
	  $(BOUNDED) 300 test-cli $(WITH_AUTHORITY) tests/cli/test_cli.sh 2>&1 | tee $(BUILD_DIR)/test-cli.log
	tests/scan-secrets.sh $(BUILD_DIR)/test-cli.log

test-cpp: deps build
	mkdir -p $(BUILD_DIR)
	$(CXX) $(CXXFLAGS_STRICT) tests/cpp/client_test.cpp tests/cpp/second_unit.cpp -o $(BUILD_DIR)/cpp_client_test \
	  -L$(LIB_DIR) -lvidiflow_auth -pthread
	$(CXX) $(CXXFLAGS_STRICT) -std=c++20 -fsyntax-only tests/cpp/client_test.cpp
	$(CXX) $(CXXFLAGS_STRICT) examples/cpp/get_token.cpp -o $(BUILD_DIR)/cpp_get_token -L$(LIB_DIR) -lvidiflow_auth
	LD_LIBRARY_PATH=$(LIB_DIR) $(BOUNDED) 600 test-cpp $(WITH_AUTHORITY) $(VALGRIND) $(BUILD_DIR)/cpp_client_test 2>&1 \
	  | tee $(BUILD_DIR)/test-cpp.log
	LD_LIBRARY_PATH=$(LIB_DIR) $(BOUNDED) 120 "test-cpp (example)" $(WITH_AUTHORITY) $(BUILD_DIR)/cpp_get_token 2>&1 \
	  | tee -a $(BUILD_DIR)/test-cpp.log
	tests/scan-secrets.sh $(BUILD_DIR)/test-cpp.log

test-install: deps
	mkdir -p $(BUILD_DIR)
	MAKE="$(MAKE)" CC="$(CC)" CXX="$(CXX)" $(BOUNDED) 1200 test-install tests/install/test_install.sh 2>&1 \
	  | tee $(BUILD_DIR)/test-install.log
	tests/scan-secrets.sh $(BUILD_DIR)/test-install.log

demo-cli: deps-node build
	@echo "== CLI: vf-token (tokens shortened for the screen)"
	@PATH="$(LIB_DIR):$$PATH" $(WITH_AUTHORITY) bash -c '\
	  short() { sed -E "s/(eyJ[A-Za-z0-9_-]{12})[A-Za-z0-9._-]+/\1.../"; }; \
	  echo "\$$ vf-token --header"; vf-token --header | short; \
	  echo "\$$ vf-token --json --scope api2"; vf-token --json --scope api2 | short; \
	  echo "\$$ VF_CLIENT_SECRET=wrong vf-token"; VF_CLIENT_SECRET=wrong vf-token || echo "(exit status $$?)"'

demo-cpp: deps-node build
	mkdir -p $(BUILD_DIR)
	$(CXX) $(CXXFLAGS_STRICT) examples/cpp/get_token.cpp -o $(BUILD_DIR)/cpp_get_token -L$(LIB_DIR) -lvidiflow_auth
	@echo "== C++: examples/cpp/get_token.cpp"
	LD_LIBRARY_PATH=$(LIB_DIR) $(WITH_AUTHORITY) $(BUILD_DIR)/cpp_get_token
