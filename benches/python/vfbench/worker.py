"""Worker processes for the Python-side measurements; run.py starts one per run.

    python -m vfbench.worker herd    PEER AUTH_JSON --mode cold|expired --threads 32 [--sleep-ms MS]
    python -m vfbench.worker hit     PEER[,PEER...] AUTH_JSON --iterations PEER=N,... --runs R
    python -m vfbench.worker refresh PEER[,PEER...] AUTH_JSON --count N --runs R
    python -m vfbench.worker steady  PEER AUTH_JSON --client-id ID --rate 20 --seconds 30

AUTH_JSON is ``Authority.describe()`` as JSON. Each worker prints one JSON line with its
results on stdout. ``herd`` and ``steady`` first print ``{"ready":true}`` and wait for a line
on stdin, so that the driver can reset the authority's request counter (and start several
workers together) before the measured part begins.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import timeit
from typing import Any, Dict, List

from . import peers


def _ready_then_wait() -> None:
    print(json.dumps({"ready": True}), flush=True)
    if not sys.stdin.readline():
        raise SystemExit("no go line on stdin")


def herd(peer: str, auth: Dict[str, Any], mode: str, threads: int, sleep_ms: int) -> Dict[str, Any]:
    """THREADS threads ask for a token at once, on a cold or a just-expired cache.

    Caching peers (ours, msal) share one client across the threads, as an application would.
    The others have no cache to share and their sessions are not thread-safe, so each thread
    gets its own client, made before the start.
    """
    shared = peer in peers.CACHING
    if mode == "cold":
        if peer == "ours":
            # Discovery cached (it is per authority), the herd's identity (scope api1) not.
            peers.make(peer, auth, scope="api2").get()
        # msal fetched its discovery document when the app was made; the others need none.
        clients = [peers.make(peer, auth)] if shared else [peers.make(peer, auth) for _ in range(threads)]
    elif mode == "expired":
        clients = [peers.make(peer, auth)] if shared else [peers.make(peer, auth) for _ in range(threads)]
        clients[0].get()
        time.sleep(sleep_ms / 1000)
    else:
        raise SystemExit(f"unknown mode {mode}")

    start = threading.Barrier(threads + 1)
    done_at: List[float] = [0.0] * threads
    errors: List[str] = []

    def work(index: int) -> None:
        client = clients[0] if shared else clients[index]
        start.wait()
        try:
            client.get()
        except Exception as error:  # noqa: BLE001 - reported, and the run counts as failed
            errors.append(repr(error)[:300])
        done_at[index] = time.perf_counter()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    _ready_then_wait()
    released = time.perf_counter()
    start.wait()
    for worker in workers:
        worker.join()
    latencies = [(t - released) * 1e3 for t in done_at]
    result: Dict[str, Any] = {
        "threads": threads, "mode": mode, "ok": threads - len(errors), "errors": errors[:3],
        "wall_ms": max(latencies), "latency_ms": latencies,
    }
    return result


def hit(peer_list: str, auth: Dict[str, Any], iterations: Dict[str, int], runs: int) -> Dict[str, Any]:
    """ns per cache-hit call, per run: ``client.token()`` (ours), ``acquire_token_for_client``
    (msal), and ``ours-bare``: the two C calls behind a hit, straight through ctypes.

    ``peer_list`` is comma-separated. All of them live in this one process and take turns run
    by run (the order rotating), so that whatever slows the process down (the core it landed
    on, other work on the machine) falls on each alike and their ratio holds.
    """
    names = peer_list.split(",")
    calls = {}
    for name in names:
        if name == "ours-bare":
            from ctypes import byref, c_void_p

            from vidiflow_auth import _native

            client = peers.make("ours", auth)
            client.get()
            lib, handle = _native.lib, client.client._handle
            get, free = lib.vf_token_get, lib.vf_token_free

            def bare(get=get, free=free, handle=handle, keep=client) -> None:
                out, err = c_void_p(), c_void_p()
                get(handle, byref(out), byref(err))
                free(out)

            calls[name] = bare
        else:
            if name not in peers.CACHING:
                raise SystemExit(f"{name} has no cache: there is no cache hit to measure")
            client = peers.make(name, auth)
            client.get()
            calls[name] = client.get
    for call in calls.values():
        warm_until = time.perf_counter() + 0.3
        while time.perf_counter() < warm_until:  # warm-up: caches, branch predictors, CPU clock
            for _ in range(100):
                call()
    out: Dict[str, Any] = {name: {"iterations": iterations[name], "ns_per_op": []} for name in names}
    for r in range(runs):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            elapsed = timeit.timeit(calls[name], number=iterations[name])
            out[name]["ns_per_op"].append(elapsed / iterations[name] * 1e9)
    if any(name.startswith("ours") for name in names):
        import vidiflow_auth

        out["library"] = str(vidiflow_auth.library_path)
    return out


def refresh(peer_list: str, auth: Dict[str, Any], count: int, runs: int) -> Dict[str, Any]:
    """Milliseconds per token request on each client's kept-alive connection.

    ``peer_list`` is comma-separated. All the clients live in this one process and take turns
    request by request (the order rotating), so that every client's samples are taken under the
    same conditions: on a shared machine, load that comes and goes then falls on all alike.
    """
    names = peer_list.split(",")
    clients = {name: peers.make(name, auth) for name in names}
    for client in clients.values():
        for _ in range(5):
            client.refresh()  # warm: connection up, discovery done, the authority's code paths hot
    out: Dict[str, Any] = {name: {"count": count, "runs": []} for name in names}
    for _ in range(runs):
        samples: Dict[str, List[float]] = {name: [] for name in names}
        for i in range(count):
            k = i % len(names)
            for name in names[k:] + names[:k]:
                t0 = time.perf_counter()
                clients[name].refresh()
                samples[name].append((time.perf_counter() - t0) * 1e6)
        for name, values in samples.items():
            values.sort()
            out[name]["runs"].append({"median_us": statistics.median(values), "mean_us": statistics.fmean(values),
                                      "min_us": values[0], "max_us": values[-1]})
    return out


def steady(peer: str, auth: Dict[str, Any], client_id: str, rate: float, seconds: float) -> Dict[str, Any]:
    """``rate`` calls per second for ``seconds``, on a schedule (not back to back)."""
    client = peers.make(peer, auth, client_id=client_id)
    client.get()
    _ready_then_wait()
    interval = 1.0 / rate
    start = time.perf_counter()
    latencies = []
    errors = 0
    n = 0
    while True:
        due = start + n * interval
        if due - start >= seconds:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t0 = time.perf_counter()
        try:
            client.get()
        except Exception:  # noqa: BLE001 - counted
            errors += 1
        latencies.append((time.perf_counter() - t0) * 1e6)
        n += 1
    latencies.sort()
    return {
        "calls": n, "errors": errors, "seconds": time.perf_counter() - start,
        "latency_us": {
            "median": statistics.median(latencies),
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
            "max": latencies[-1],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="vfbench.worker")
    parser.add_argument("measurement", choices=["herd", "hit", "refresh", "steady"])
    parser.add_argument("peer")
    parser.add_argument("auth", help="Authority.describe() as JSON")
    parser.add_argument("--mode", default="cold")
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--sleep-ms", type=int, default=0)
    parser.add_argument("--iterations", default="ours=200000,ours-bare=200000,msal=20000",
                        help="calls per run, per peer (hit)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--client-id", default="vf-post")
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    auth = json.loads(args.auth)
    if args.measurement == "herd":
        result = herd(args.peer, auth, args.mode, args.threads, args.sleep_ms)
    elif args.measurement == "hit":
        counts = dict(item.split("=") for item in args.iterations.split(","))
        result = hit(args.peer, auth, {name: int(n) for name, n in counts.items()}, args.runs)
    elif args.measurement == "refresh":
        result = refresh(args.peer, auth, args.count, args.runs)
    else:
        result = steady(args.peer, auth, args.client_id, args.rate, args.seconds)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
