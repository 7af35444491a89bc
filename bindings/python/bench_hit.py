"""What a cache hit costs from Python: `client.token()` on a warm cache.

    tests/with-authority.sh .venv/bin/python bindings/python/bench_hit.py [ITERATIONS]

Uses the VF_* environment variables (tests/with-authority.sh sets them). Reports the best and
the median of 5 runs of ITERATIONS calls (default 100000). The library it measures is the
one the package loads: a debug build (what `make test-python` installs) is slower than the
release build `pip install ./bindings/python` makes.
"""

from __future__ import annotations

import statistics
import sys
import timeit
from ctypes import byref, c_void_p

import vidiflow_auth
from vidiflow_auth import Client
from vidiflow_auth import _native


def main() -> None:
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with Client.from_env() as client:
        client.token()  # warm the cache

        runs = [t / iterations * 1e6 for t in timeit.repeat(client.token, number=iterations, repeat=5)]

        # For comparison: the bare C calls behind a hit, from Python (vf_token_get + vf_token_free).
        lib, handle = _native.lib, client._handle

        def bare() -> None:
            out, err = c_void_p(), c_void_p()
            lib.vf_token_get(handle, byref(out), byref(err))
            lib.vf_token_free(out)

        bare_runs = [t / iterations * 1e6 for t in timeit.repeat(bare, number=iterations, repeat=5)]

    print(f"library: {vidiflow_auth.library_path}")
    print(f"client.token() cache hit: {min(runs):.2f} us best, {statistics.median(runs):.2f} us median "
          f"({iterations} calls x 5 runs)")
    print(f"bare vf_token_get + vf_token_free via ctypes: {min(bare_runs):.2f} us best, "
          f"{statistics.median(bare_runs):.2f} us median")


if __name__ == "__main__":
    main()
