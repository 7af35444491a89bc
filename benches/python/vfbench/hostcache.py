"""The host-level cache (issue 12): many short-lived processes, ours beside msal with
msal-extensions' file persistence, against one dev authority over TLS.

    python -m vfbench.hostcache [--quick] [--out target/bench/host-cache.json]
                                [--report benches/REPORT-host-cache.md]

Rows:

- **herd N**: N processes started together on an empty cache directory (ours: the C harness
  ``shared`` and ``vf-token``, 5 runs each; the peer: a Python process with msal +
  ``PersistedTokenCache(FilePersistence(...))``, one run). The C and msal processes make their client
  first and then wait for one common instant before the token call; ``vf-token`` processes are
  simply started one right after another. Token and discovery requests are counted by the
  authority, per run.
- **sequential 100**: 100 processes one after another, on one cache directory: requests after
  the first process.
- **first token from the shared level**: a new process's first ``vf_token_get`` (C) when another
  process already stored the token, in microseconds; beside it ``vf_client_new``, and msal's
  ``acquire_token_for_client`` served from its persisted cache.
- **end to end**: ``vf-token`` as a new process with a shared hit (and with ``--no-cache``), and a
  Python process running msal with the persisted cache, wall time in milliseconds.

Expects what ``make bench-build`` prepares (release build, C harness, bench venv).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

from .authority import CLIENTS, SCOPE, Authority, Pki

REPO = Path(__file__).resolve().parents[3]
BENCH_DIR = REPO / "target" / "bench"
SHARED = BENCH_DIR / "bin" / "shared"
VF_TOKEN = REPO / "target" / "release" / "vf-token"
TIMEOUT = 300


def msal_worker(description: Dict[str, Any], cache_file: str, start_at_us: int) -> None:
    """One peer process: msal with msal-extensions' file persistence, one token call."""
    import msal
    import requests
    from msal_extensions import FilePersistence, PersistedTokenCache

    session = requests.Session()
    session.verify = description["ca"]
    session.trust_env = False
    cache = PersistedTokenCache(FilePersistence(cache_file))
    # Constructing the app fetches the discovery document (msal keeps it in memory only).
    app = msal.ConfidentialClientApplication(
        "vf-post", client_credential=CLIENTS["vf-post"], oidc_authority=description["authority"],
        http_client=session, token_cache=cache,
    )
    delay = start_at_us / 1e6 - time.time()
    if delay > 0:
        time.sleep(delay)
    started = time.perf_counter()
    result = app.acquire_token_for_client(scopes=[SCOPE])
    elapsed_us = (time.perf_counter() - started) * 1e6
    ok = "access_token" in result
    print(json.dumps({"first_get_us": elapsed_us, "status": "ok" if ok else str(result.get("error"))}))
    sys.exit(0 if ok else 1)


class Bench:
    def __init__(self, authority: Authority, scratch: Path) -> None:
        self.authority = authority
        self.scratch = scratch
        self.counter = 0

    def fresh_dir(self) -> Path:
        self.counter += 1
        path = self.scratch / f"cache-{self.counter}"
        path.mkdir(mode=0o700)
        return path

    def env(self, cache: Path) -> Dict[str, str]:
        env = self.authority.env()
        env["VF_CACHE_DIR"] = str(cache)
        env.pop("XDG_RUNTIME_DIR", None)
        return env

    def command(self, kind: str, cache: Path, start_at_us: int = 0) -> List[str]:
        if kind == "c":
            return [str(SHARED), str(start_at_us)]
        if kind == "vf-token":
            return [str(VF_TOKEN)]
        if kind == "msal":
            return [sys.executable, "-m", "vfbench.hostcache", "--msal-worker",
                    json.dumps(self.authority.describe()), str(cache / "msal-token-cache.json"), str(start_at_us)]
        raise ValueError(kind)

    def spawn(self, kind: str, cache: Path, start_at_us: int = 0) -> subprocess.Popen:
        return subprocess.Popen(self.command(kind, cache, start_at_us), env=self.env(cache),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def counts(self) -> Dict[str, int]:
        stats = self.authority.stats()
        return {"token_requests": int(stats["token_requests"]), "discovery_requests": int(stats["discovery_requests"])}

    def herd(self, kind: str, n: int) -> Dict[str, Any]:
        cache = self.fresh_dir()
        self.authority.reset()
        # Time for every process to start and make its client before the common instant.
        lead = {"c": 0.5 + 0.02 * n, "msal": 2.0 + 0.25 * n, "vf-token": 0.0}[kind]
        start_at_us = int((time.time() + lead) * 1e6)
        started = time.perf_counter()
        children = [self.spawn(kind, cache, start_at_us) for _ in range(n)]
        failures = 0
        for child in children:
            _, err = child.communicate(timeout=TIMEOUT)
            if child.returncode != 0:
                failures += 1
                sys.stderr.write(err[-500:])
        wall = time.perf_counter() - started
        return {"kind": kind, "processes": n, **self.counts(), "failed_processes": failures, "wall_s": wall}

    def sequential(self, kind: str, n: int) -> Dict[str, Any]:
        cache = self.fresh_dir()
        self.authority.reset()
        first = self.spawn(kind, cache)
        first.communicate(timeout=TIMEOUT)
        after_first = self.counts()
        failures = int(first.returncode != 0)
        for _ in range(n - 1):
            child = self.spawn(kind, cache)
            child.communicate(timeout=TIMEOUT)
            failures += int(child.returncode != 0)
        total = self.counts()
        return {
            "kind": kind, "processes": n, "failed_processes": failures,
            "token_requests_after_first": total["token_requests"] - after_first["token_requests"],
            "discovery_requests_after_first": total["discovery_requests"] - after_first["discovery_requests"],
        }

    def first_get(self, kind: str, runs: int) -> Dict[str, Any]:
        """A new process's first token call, served from a warm shared level."""
        cache = self.fresh_dir()
        warm = self.spawn(kind, cache)
        warm.communicate(timeout=TIMEOUT)
        self.authority.reset()
        samples: List[Dict[str, Any]] = []
        for _ in range(runs):
            child = self.spawn(kind, cache)
            out, err = child.communicate(timeout=TIMEOUT)
            if child.returncode != 0:
                raise RuntimeError(f"{kind}: {err[-500:]}")
            samples.append(json.loads(out.strip().splitlines()[-1]))
        result: Dict[str, Any] = {"kind": kind, "runs": runs, **self.counts()}
        for field in ("first_get_us", "client_new_us"):
            values = [s[field] for s in samples if field in s]
            if values:
                result[field] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
        return result

    def end_to_end(self, name: str, runs: int) -> Dict[str, Any]:
        """Wall time of a whole new process, ms; the shared level warm."""
        cache = self.fresh_dir()
        kind = "msal" if name == "msal" else "vf-token"
        command = self.command(kind, cache)
        if name == "vf-token --no-cache":
            command.append("--no-cache")
        env = self.env(cache)
        subprocess.run(command, env=env, capture_output=True, check=True, timeout=TIMEOUT)
        self.authority.reset()
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(command, env=env, capture_output=True, check=True, timeout=TIMEOUT)
            times.append((time.perf_counter() - started) * 1e3)
        return {"name": name, "runs": runs, **self.counts(),
                "ms": {"median": statistics.median(times), "min": min(times), "max": max(times)}}


def report(results: Dict[str, Any]) -> str:
    lines = [
        "# Host-level cache (issue 12)",
        "",
        "Written by `make bench` (`python -m vfbench.hostcache`) from its own run; see",
        "`benches/python/vfbench/hostcache.py` for what each row does. Ours: the C harness",
        "`benches/c/shared.c` and `vf-token`, each process with `VF_CACHE_DIR` on one directory. Peer:",
        "msal with msal-extensions' `PersistedTokenCache(FilePersistence(...))` (versions below).",
        "",
        f"Machine: {results['machine']}; load average before {results['load_before']}, after {results['load_after']}.",
        "",
        "## Processes started together (cold cache directory): requests at the authority",
        "",
        "| client | processes | runs | token requests per run | discovery requests per run | failed processes |",
        "|---|---:|---:|---|---|---:|",
    ]
    groups: Dict[Any, List[Dict[str, Any]]] = {}
    for row in results["herd"]:
        groups.setdefault((row["kind"], row["processes"]), []).append(row)
    for (kind, n), rows in groups.items():
        lines.append(
            f"| {kind} | {n} | {len(rows)} | {', '.join(str(r['token_requests']) for r in rows)} | "
            f"{', '.join(str(r['discovery_requests']) for r in rows)} | {sum(r['failed_processes'] for r in rows)} |"
        )
    lines += [
        "",
        "## Processes one after another: requests after the first process",
        "",
        "| client | processes | token requests | discovery requests | failed processes |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in results["sequential"]:
        lines.append(f"| {row['kind']} | {row['processes']} | {row['token_requests_after_first']} | "
                     f"{row['discovery_requests_after_first']} | {row['failed_processes']} |")
    lines += [
        "",
        "## A new process's first token, served from the shared level",
        "",
        "| client | runs | first token call, µs (median, min–max) | making the client, µs (median) | requests |",
        "|---|---:|---|---|---:|",
    ]
    for row in results["first_get"]:
        first = row["first_get_us"]
        new = row.get("client_new_us")
        lines.append(
            f"| {row['kind']} | {row['runs']} | {first['median']:.0f} ({first['min']:.0f}–{first['max']:.0f}) | "
            f"{'%.0f' % new['median'] if new else '—'} | {row['token_requests']} |"
        )
    lines += [
        "",
        "## A whole new process (wall time, ms)",
        "",
        "| command | runs | ms (median, min–max) | token requests |",
        "|---|---:|---|---:|",
    ]
    for row in results["end_to_end"]:
        ms = row["ms"]
        lines.append(f"| {row['name']} | {row['runs']} | {ms['median']:.1f} ({ms['min']:.1f}–{ms['max']:.1f}) | {row['token_requests']} |")
    lines += ["", f"Peers: {results['peers']}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(BENCH_DIR / "host-cache.json"))
    parser.add_argument("--report", default=None)
    parser.add_argument("--msal-worker", nargs=3, metavar=("AUTHORITY_JSON", "CACHE_FILE", "START_AT_US"))
    args = parser.parse_args()
    if args.msal_worker:
        description, cache_file, start_at = args.msal_worker
        msal_worker(json.loads(description), cache_file, int(start_at))
        return
    for program in (SHARED, VF_TOKEN):
        if not program.exists():
            sys.exit(f"{program} is missing: run `make bench-build` first")
    from importlib.metadata import version

    herd_sizes = [20] if args.quick else [20, 100]
    herd_runs = 1 if args.quick else 5
    sequential = 10 if args.quick else 100
    runs = 5 if args.quick else 30
    results: Dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores",
        "load_before": os.getloadavg()[0],
        "peers": f"msal {version('msal')}, msal-extensions {version('msal-extensions')}",
        "herd": [], "sequential": [], "first_get": [], "end_to_end": [],
    }
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vf-host-cache-bench-") as scratch:
        pki = Pki(BENCH_DIR / "pki")
        with Authority(pki) as authority:
            bench = Bench(authority, Path(scratch))
            for n in herd_sizes:
                for run in range(herd_runs):
                    # One msal herd per size: a herd of 100 Python processes takes minutes on 2 cores.
                    for kind in ("c", "vf-token", "msal") if run == 0 else ("c", "vf-token"):
                        row = bench.herd(kind, n)
                        print(json.dumps(row), flush=True)
                        results["herd"].append(row)
            for kind in ("c", "vf-token", "msal"):
                row = bench.sequential(kind, sequential)
                print(json.dumps(row), flush=True)
                results["sequential"].append(row)
            for kind in ("c", "msal"):
                row = bench.first_get(kind, runs)
                print(json.dumps(row), flush=True)
                results["first_get"].append(row)
            for name in ("vf-token", "vf-token --no-cache", "msal"):
                row = bench.end_to_end(name, runs)
                print(json.dumps(row), flush=True)
                results["end_to_end"].append(row)
    results["load_after"] = os.getloadavg()[0]
    Path(args.out).write_text(json.dumps(results, indent=1))
    text = report(results)
    if args.report:
        Path(args.report).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
