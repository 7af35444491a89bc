"""The fleet-level cache (issue 14): many hosts sharing tokens through a real redis-server on
loopback, against one dev authority over TLS.

    python -m vfbench.fleet [--quick] [--out target/bench/fleet.json]
                            [--report benches/REPORT-fleet.md]

Rows:

- **cold start, 32 hosts x 4 threads**: 32 processes of the C harness ``fleet`` (one "host"
  each: its own host-level directory), 4 threads each, all calling at one common instant, on an
  empty Redis; token requests counted by the authority, per run. Beside it the same without
  Redis (each host on its own).
- **a new process's first token**: the C harness ``shared`` as a new process, its first
  ``vf_token_get`` in microseconds, when the token is (a) in Redis (no host level), (b) in the
  host level (no Redis), (c) nowhere: the authority is asked. The extra latency of a Redis hit
  is (a) minus (b).

Expects what ``make bench-build`` prepares (release build, C harness), and ``redis-server``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

from .authority import Authority, Pki

REPO = Path(__file__).resolve().parents[3]
BENCH_DIR = REPO / "target" / "bench"
FLEET = BENCH_DIR / "bin" / "fleet"
SHARED = BENCH_DIR / "bin" / "shared"
TIMEOUT = 300


class Redis:
    """A redis-server on a free loopback port, without persistence, in `directory`."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        log = directory / "redis.log"
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(directory), "--logfile", str(log)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        )
        deadline = time.time() + 10
        while not (log.exists() and "Ready to accept connections" in log.read_text()):
            if time.time() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.01)
        self.url = f"redis://127.0.0.1:{self.port}"

    def flush(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "FLUSHALL"], check=True, capture_output=True)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


class Bench:
    def __init__(self, authority: Authority, redis: Redis, scratch: Path) -> None:
        self.authority = authority
        self.redis = redis
        self.scratch = scratch
        self.counter = 0

    def fresh_dir(self) -> Path:
        self.counter += 1
        path = self.scratch / f"host-{self.counter}"
        path.mkdir(mode=0o700)
        return path

    def env(self, cache: Any, redis: bool) -> Dict[str, str]:
        env = self.authority.env()
        env["VF_CACHE_DIR"] = str(cache) if cache else "none"
        if redis:
            env["VF_REDIS_URL"] = self.redis.url
        env.pop("XDG_RUNTIME_DIR", None)
        return env

    def cold_start(self, hosts: int, threads: int, redis: bool) -> Dict[str, Any]:
        self.redis.flush()
        self.authority.reset()
        start_at_us = int((time.time() + 0.5 + 0.03 * hosts) * 1e6)
        children = [
            subprocess.Popen([str(FLEET), str(threads), str(start_at_us)], env=self.env(self.fresh_dir(), redis),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(hosts)
        ]
        failed = 0
        slowest: List[float] = []
        for child in children:
            out, err = child.communicate(timeout=TIMEOUT)
            if child.returncode != 0:
                failed += 1
                sys.stderr.write(err[-500:])
            else:
                slowest.append(json.loads(out.strip().splitlines()[-1])["slowest_get_us"])
        return {"hosts": hosts, "threads": threads, "redis": redis, "token_requests": self.authority.token_requests(),
                "failed_hosts": failed, "slowest_call_ms": max(slowest) / 1e3 if slowest else None}

    def first_get(self, where: str, runs: int) -> Dict[str, Any]:
        """A new process's first token call; `where` the token is: redis, host, or nowhere."""
        cache = self.fresh_dir() if where == "host" else None
        env = self.env(cache, where == "redis")
        self.redis.flush()
        subprocess.run([str(SHARED)], env=env, capture_output=True, check=True, timeout=TIMEOUT)
        self.authority.reset()
        samples = []
        for _ in range(runs):
            out = subprocess.run([str(SHARED)], env=env, capture_output=True, check=True, text=True,
                                 timeout=TIMEOUT).stdout
            samples.append(json.loads(out.strip().splitlines()[-1])["first_get_us"])
        return {"where": where, "runs": runs, "token_requests": self.authority.token_requests(),
                "first_get_us": {"median": statistics.median(samples), "min": min(samples), "max": max(samples)}}


def report(results: Dict[str, Any]) -> str:
    lines = [
        "# Fleet-level cache in Redis (issue 14)",
        "",
        "Written by `make bench-fleet` (`python -m vfbench.fleet`) from its own run; see",
        "`benches/python/vfbench/fleet.py` for what each row does. Hosts are processes of the C harness",
        "(`benches/c/fleet.c`, `benches/c/shared.c`), each with a host-level directory of its own,",
        f"sharing one `redis-server` ({results['redis']}) on loopback; the dev authority serves TLS.",
        "",
        f"Machine: {results['machine']}; load average before {results['load_before']}, after {results['load_after']}.",
        "",
        "## Cold start: hosts started together, requests at the authority",
        "",
        "| Redis | hosts × threads | runs | token requests per run | failed hosts | slowest call, ms (worst run) |",
        "|---|---|---:|---|---:|---:|",
    ]
    groups: Dict[Any, List[Dict[str, Any]]] = {}
    for row in results["cold_start"]:
        groups.setdefault((row["redis"], row["hosts"], row["threads"]), []).append(row)
    for (redis, hosts, threads), rows in groups.items():
        worst = max((r["slowest_call_ms"] or 0) for r in rows)
        lines.append(
            f"| {'yes' if redis else 'no'} | {hosts} × {threads} | {len(rows)} | "
            f"{', '.join(str(r['token_requests']) for r in rows)} | {sum(r['failed_hosts'] for r in rows)} | {worst:.0f} |"
        )
    lines += [
        "",
        "## A new process's first token call (µs)",
        "",
        "| token found in | runs | first `vf_token_get`, µs (median, min–max) | token requests |",
        "|---|---:|---|---:|",
    ]
    names = {"redis": "Redis (no host level)", "host": "host level (no Redis)", "nowhere": "nowhere: the authority is asked"}
    medians = {}
    for row in results["first_get"]:
        first = row["first_get_us"]
        medians[row["where"]] = first["median"]
        lines.append(f"| {names[row['where']]} | {row['runs']} | {first['median']:.0f} ({first['min']:.0f}–{first['max']:.0f}) | "
                     f"{row['token_requests']} |")
    if "redis" in medians and "host" in medians:
        lines += ["", f"Extra latency of a Redis hit over a host-level hit (medians): "
                      f"{(medians['redis'] - medians['host']) / 1e3:.2f} ms."]
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(BENCH_DIR / "fleet.json"))
    parser.add_argument("--report", default=None)
    args = parser.parse_args()
    for program in (FLEET, SHARED):
        if not program.exists():
            sys.exit(f"{program} is missing: run `make bench-build` first")
    if not shutil.which("redis-server"):
        sys.exit("redis-server is missing: make bench-fleet installs it")
    runs = 1 if args.quick else 5
    samples = 5 if args.quick else 30
    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()
    results: Dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores",
        "load_before": round(os.getloadavg()[0], 2),
        "redis": " ".join(version[:3]),
        "cold_start": [], "first_get": [],
    }
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vf-fleet-bench-") as scratch:
        pki = Pki(BENCH_DIR / "pki")
        redis_dir = Path(scratch) / "redis"
        redis_dir.mkdir()
        redis = Redis(redis_dir)
        try:
            with Authority(pki) as authority:
                bench = Bench(authority, redis, Path(scratch))
                for run in range(runs):
                    for with_redis in (True, False) if run == 0 else (True,):
                        row = bench.cold_start(32, 4, with_redis)
                        print(json.dumps(row), flush=True)
                        results["cold_start"].append(row)
                for where in ("redis", "host", "nowhere"):
                    row = bench.first_get(where, samples)
                    print(json.dumps(row), flush=True)
                    results["first_get"].append(row)
        finally:
            redis.stop()
    results["load_after"] = round(os.getloadavg()[0], 2)
    Path(args.out).write_text(json.dumps(results, indent=1))
    text = report(results)
    if args.report:
        Path(args.report).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
