# The Python binding (bindings/python): a venv at .venv, the package installed into it as a
# wheel carrying target/debug/libvidiflow_auth.so, and its pytest suite against the dev authority.
#
#   make test-python   create .venv if needed, install the pinned test deps and the package, run pytest
#   make demo-python   run bindings/python/examples/get_token.py against the dev authority

TEST_TARGETS += test-python
DEMO_TARGETS += demo-python

PYTHON ?= python3
PY_DIR := bindings/python
PY_VENV := $(CURDIR)/.venv
PY := $(PY_VENV)/bin/python
# Stamps inside the venv: deleting .venv deletes them too.
PY_VENV_STAMP := $(PY_VENV)/.vf-python-venv
PY_DEPS_STAMP := $(PY_VENV)/.vf-python-test-deps
PY_INSTALL_STAMP := $(PY_VENV)/.vf-python-installed
PY_SOURCES := $(PY_DIR)/pyproject.toml $(PY_DIR)/setup.py $(PY_DIR)/src
# Loopback never goes through a proxy; VF_LIBRARY_PATH from the caller's shell must not
# redirect the tests to another library.
PY_TEST_ENV := env -u VF_LIBRARY_PATH \
	NO_PROXY="127.0.0.1,localhost$${NO_PROXY:+,$$NO_PROXY}" \
	no_proxy="127.0.0.1,localhost$${no_proxy:+,$$no_proxy}"

.PHONY: test-python demo-python python-venv python-install deps-python-venv

# Debian's python3 has no venv/ensurepip until python3-venv is installed.
deps-python-venv:
	@$(PYTHON) -c 'import ensurepip' >/dev/null 2>&1 || { $(call apt-install,python3-venv); }

$(PY_VENV_STAMP): | deps-python-venv
	$(PYTHON) -m venv $(PY_VENV)
	touch $@

python-venv: $(PY_VENV_STAMP)

$(PY_DEPS_STAMP): $(PY_VENV_STAMP) $(PY_DIR)/requirements-test.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r $(PY_DIR)/requirements-test.txt
	touch $@

# Installs the package as a wheel, with the library `make build` made (no second, release
# build); again only when the library or the package's sources changed since the last install.
python-install: build $(PY_VENV_STAMP)
	@if [ ! -f $(PY_INSTALL_STAMP) ] || \
	    [ -n "$$(find $(LIB_DIR)/libvidiflow_auth.so $(PY_SOURCES) -newer $(PY_INSTALL_STAMP) -print -quit)" ]; then \
	  echo "installing $(PY_DIR) into .venv (library: $(LIB_DIR)/libvidiflow_auth.so)"; \
	  VF_PREBUILT_LIBRARY=$(LIB_DIR)/libvidiflow_auth.so \
	    $(PY) -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall ./$(PY_DIR); \
	  touch $(PY_INSTALL_STAMP); \
	fi

test-python: deps-node build $(PY_DEPS_STAMP) python-install
	cd $(PY_DIR) && $(PY_TEST_ENV) $(CURDIR)/$(BOUNDED) 1200 test-python $(PY) -m pytest -p no:cacheprovider

demo-python: deps-node build python-install
	@echo "== Python: $(PY_DIR)/examples/get_token.py"
	$(WITH_AUTHORITY) $(PY) $(PY_DIR)/examples/get_token.py
