"""Runs every measurement of issue 7 and writes the raw results as JSON.

    python -m vfbench.run [--out target/bench/results.json] [--quick]

Expects what ``make bench`` prepares: the release build (target/release), the C harness
(target/bench/bin), the dev authority's npm packages, and this interpreter being the bench
venv (benches/requirements.txt). Starts its own dev authorities over TLS (one per token
lifetime it needs) with a CA made for the run, and stops them. ``--quick`` runs everything with
small counts, to check the suite itself in about a minute; its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from .authority import CLIENTS, SCOPE, Authority, Pki

REPO = Path(__file__).resolve().parents[3]
TARGET = REPO / "target"
BENCH_DIR = TARGET / "bench"
BIN = BENCH_DIR / "bin"
RELEASE = TARGET / "release"
LIBRARY = RELEASE / "libvidiflow_auth.so"
VF_TOKEN = RELEASE / "vf-token"
HIT_BENCH_EXE = TARGET / "make" / "csharp" / "HitBench.exe"  # built by make bench-build
CHILD_TIMEOUT = 300  # no single step of the suite may hang the run


class Config:
    """How much of everything. The defaults keep `make bench` near 6 minutes on 2 cores."""

    def __init__(self, quick: bool) -> None:
        q = quick
        # Runs of a few hundred ms per thread: thread start-up and the barrier stay small beside them.
        self.hit_iterations = 200_000 if q else 10_000_000
        self.hit_runs = 3 if q else 7
        self.reference_iterations = 1_000_000 if q else 10_000_000
        self.dotnet_hit_calls = 100_000 if q else 1_000_000
        self.py_hit_iterations = {"ours": 20_000 if q else 200_000, "ours-bare": 20_000 if q else 200_000,
                                  "msal": 2_000 if q else 20_000}
        self.py_hit_rounds = 2 if q else 5  # processes
        self.py_hit_runs_per_round = 2 if q else 3  # runs of each peer in each process
        self.herd_threads = 32
        self.herd_cold_runs = 2 if q else 7
        self.herd_expired_runs = 2 if q else 5
        self.refresh_count = 20 if q else 200
        self.refresh_runs = 2 if q else 5
        self.cli_runs = 6 if q else 40  # in all, split over the rounds
        self.cli_rounds = 2 if q else 4
        self.cli_warmup = 1 if q else 2  # per command and round
        self.cycles = 1_000_000
        self.valgrind_cycles = 10_000 if q else 1_000_000
        self.short_seconds = 10 if q else 30
        self.short_rate = 20.0

    def as_dict(self) -> Dict[str, Any]:
        return dict(self.__dict__)


# ------------------------------------------------------------------------------------ helpers

def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def loadavg() -> List[float]:
    return [round(x, 2) for x in os.getloadavg()]


def child_env(base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment for a Python worker: the bench package, the binding's sources, and the
    release library (VF_LIBRARY_PATH), so nothing has to be installed into the venv."""
    env = dict(base if base is not None else os.environ)
    for key in list(env):
        if key.startswith("VF_") and key != "VF_LIBRARY_PATH":
            del env[key]
    paths = [str(REPO / "benches" / "python"), str(REPO / "bindings" / "python" / "src")]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["VF_LIBRARY_PATH"] = str(LIBRARY)
    env["PYTHONPYCACHEPREFIX"] = str(BENCH_DIR / "pycache")  # nothing written under bindings/
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def run_json(command: List[str], env: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """Runs a program that prints one JSON line (its last line) and returns it."""
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])}... failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def worker(measurement: str, peer: str, auth: Authority, *args: str) -> List[str]:
    return [sys.executable, "-m", "vfbench.worker", measurement, peer, json.dumps(auth.describe()), *args]


def ready_go(processes: List[subprocess.Popen], before_go: Callable[[], None]) -> None:
    """Waits for every process's {"ready":true}, runs before_go, then sends each its go line."""
    for process in processes:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line or not json.loads(line).get("ready"):
            process.kill()
            raise RuntimeError(f"a worker did not get ready: {line!r} {process.stderr.read() if process.stderr else ''}")
    before_go()
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()


def finish(process: subprocess.Popen) -> Dict[str, Any]:
    try:
        out, err = process.communicate(timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    if process.returncode != 0:
        raise RuntimeError(f"worker failed ({process.returncode}): {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def spawn(command: List[str], env: Dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def section(results: Dict[str, Any], name: str, body: Callable[[], Any]) -> None:
    """Runs one measurement; a failure is recorded (and shown in the report), not fatal."""
    log(f"{name} ...")
    started = time.time()
    load_before = loadavg()
    try:
        value = body()
        error = None
    except Exception as exc:  # noqa: BLE001 - the report says which measurement failed and why
        value, error = None, f"{type(exc).__name__}: {exc}"
        log(f"{name} FAILED: {error}")
    results["measurements"][name] = {
        "result": value, "error": error, "seconds": round(time.time() - started, 1),
        "loadavg_before": load_before, "loadavg_after": loadavg(),
    }


# ------------------------------------------------------------------------------- measurements

def hit_native(auth: Authority, cfg: Config) -> Dict[str, Any]:
    """benches/c/hit.c in both modes: `get` (vf_token_get + vf_token_free, keys "1t"...) and
    `current` (a kept token checked with vf_token_is_current, keys "current-1t"...).

    Round by round, each configuration does one run in a process of its own, so that a slow
    spell of the machine falls on all of them alike: the 2-thread/1-thread ratios are then taken
    within each round."""
    env = auth.env()
    configs = [(mode, prefix, threads) for mode, prefix in (("get", ""), ("current", "current-"))
               for threads in (1, 2, 4)]
    out: Dict[str, Any] = {}
    for _ in range(cfg.hit_runs):
        for mode, prefix, threads in configs:
            run = run_json([str(BIN / "hit"), str(threads), str(cfg.hit_iterations), "1", mode], env)
            key = f"{prefix}{threads}t"
            if key in out:
                out[key]["runs"] += run["runs"]
            else:
                out[key] = run
    return out


def hit_dotnet(auth: Authority, cfg: Config) -> Dict[str, Any]:
    """benches/csharp/HitBench.cs under Mono: ns per `TokenClient.GetToken()` on a warm cache."""
    mono = shutil.which("mono")
    if not mono or not HIT_BENCH_EXE.exists():
        raise RuntimeError(f"needs mono and {HIT_BENCH_EXE.relative_to(REPO)} (make bench-build makes it)")
    env = auth.env()
    env.pop("LD_LIBRARY_PATH", None)
    env["VF_LIBRARY_PATH"] = str(LIBRARY)
    return run_json([mono, str(HIT_BENCH_EXE), str(cfg.dotnet_hit_calls), str(cfg.hit_runs)], env)


def reference(cfg: Config) -> Dict[str, Any]:
    return run_json([str(BIN / "reference"), str(cfg.reference_iterations), str(cfg.hit_runs)])


HIT_PEERS = ["ours", "ours-bare", "msal"]


def hit_python(auth: Authority, cfg: Config) -> Dict[str, Any]:
    """Rounds of one new process each, in which ours and msal take turns run by run (see
    worker.hit): the ratio is then taken within each process, under the same conditions."""
    env = child_env()
    counts = ",".join(f"{peer}={cfg.py_hit_iterations[peer]}" for peer in HIT_PEERS)
    out: Dict[str, Any] = {peer: {"iterations": cfg.py_hit_iterations[peer], "ns_per_op": []} for peer in HIT_PEERS}
    out["rounds"] = []
    for _ in range(cfg.py_hit_rounds):
        run = run_json(worker("hit", ",".join(HIT_PEERS), auth, "--iterations", counts,
                              "--runs", str(cfg.py_hit_runs_per_round)), env)
        for peer in HIT_PEERS:
            out[peer]["ns_per_op"] += run[peer]["ns_per_op"]
        out["rounds"].append({peer: run[peer]["ns_per_op"] for peer in HIT_PEERS})
        out["library"] = run.get("library")
    return out


def herd_once(auth: Authority, peer: str, mode: str, threads: int, sleep_ms: int) -> Dict[str, Any]:
    if peer == "ours-native":
        command = [str(BIN / "herd"), str(threads), mode, str(sleep_ms)]
        env = auth.env()
    else:
        command = worker("herd", peer, auth, "--mode", mode, "--threads", str(threads), "--sleep-ms", str(sleep_ms))
        env = child_env()
    process = spawn(command, env)
    ready_go([process], auth.reset)
    result = finish(process)
    result["token_requests"] = auth.token_requests()
    result.pop("latency_ms", None)  # the wall time is the slowest latency; keep the JSON small
    return result


HERD_PEERS = ["ours-native", "ours", "msal", "authlib", "requests", "httpx"]


def herds(auth: Authority, mode: str, runs: int, threads: int, sleep_ms: int,
          peers: Optional[List[str]] = None) -> Dict[str, Any]:
    """``runs`` rounds of one herd per peer (round-robin, so that load on the machine falls on
    every peer alike), each herd in a new process."""
    peers = peers or HERD_PEERS
    out: Dict[str, Any] = {"ttl": auth.ttl, "sleep_ms": sleep_ms, "peers": {peer: [] for peer in peers}}
    for _ in range(runs):
        for peer in peers:
            caching = peer in ("ours-native", "ours", "msal")
            # A peer without a cache has no token to expire: its "expired" herd is its cold
            # herd, so it is run without the pointless sleep.
            peer_sleep = sleep_ms if caching else 0
            out["peers"][peer].append(herd_once(auth, peer, mode, threads, peer_sleep))
    return out


REFRESH_PEERS = ["ours", "httpx", "requests", "authlib", "msal"]


def refresh(auth: Authority, cfg: Config) -> Dict[str, Any]:
    """Rounds of: the C harness (one run), then every Python client in one process taking turns
    request by request (one run each). See worker.refresh."""
    env = child_env()
    out: Dict[str, Any] = {}
    for _ in range(cfg.refresh_runs):
        run = run_json([str(BIN / "refresh"), str(cfg.refresh_count), "1"], auth.env())
        out.setdefault("ours-native", {"count": cfg.refresh_count, "runs": []})["runs"] += run["runs"]
        mixed = run_json(worker("refresh", ",".join(REFRESH_PEERS), auth, "--count", str(cfg.refresh_count),
                                "--runs", "1"), env)
        for peer in REFRESH_PEERS:
            out.setdefault(peer, {"count": cfg.refresh_count, "runs": []})["runs"] += mixed[peer]["runs"]
    return {"clients": out, "syscalls": refresh_syscalls(auth)}


def refresh_syscalls(auth: Authority, count: int = 50) -> Optional[Dict[str, Any]]:
    """What one token request does at the system-call level (strace): threads started and TCP
    connections opened, over `count` refreshes (plus the harness's warm-up)."""
    strace = shutil.which("strace")
    if not strace:
        return None
    trace = BENCH_DIR / "refresh-strace.txt"
    result = run_json([strace, "-f", "-qq", "-e", "trace=clone,clone3,connect", "-o", str(trace),
                       str(BIN / "refresh"), str(count), "1"], auth.env())
    lines = trace.read_text().splitlines()
    return {
        "token_requests": result["stats"]["requests"],
        "threads_started": sum(1 for line in lines if re.search(r"\bclone3?\(", line) and "= -1" not in line),
        "tcp_connects": sum(1 for line in lines if "connect(" in line and "AF_INET" in line),
        "log": str(trace.relative_to(REPO)),
    }


def cli(auth: Authority, cfg: Config) -> Dict[str, Any]:
    """vf-token as a new process vs curl, one token each, with hyperfine (or a timing loop)."""
    secret = CLIENTS["vf-post"]
    form = BENCH_DIR / "curl-form.txt"  # the secret stays off the command lines (and the report)
    form.write_text(urllib.parse.urlencode({"grant_type": "client_credentials", "scope": SCOPE,
                                            "client_id": "vf-post", "client_secret": secret}))
    ca = str(auth.pki.ca)
    common = f"--client-id vf-post --scope {SCOPE} --ca-file {ca}"
    commands = {
        "vf-token (discovery + token)": f"{VF_TOKEN} --authority {auth.url} {common}",
        "vf-token --token-endpoint (token only)": f"{VF_TOKEN} --token-endpoint {auth.token_endpoint} {common}",
        "curl (token only)": (f"curl --noproxy * -sS --fail --cacert {ca} -X POST -H Accept:application/json "
                              f"--data-binary @{form} {auth.token_endpoint}"),
    }
    env = auth.env()
    env["VF_CLIENT_SECRET"] = secret
    # curl reads no CA variables here; --cacert names the CA. Keep its result off the terminal.
    env.pop("CURL_CA_BUNDLE", None)
    hyperfine = shutil.which("hyperfine")
    out: Dict[str, Any] = {"tool": None, "commands": {}}
    for name, command in commands.items():  # each must work before it is timed
        done = subprocess.run(command.split(), env=env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0 or len(done.stdout.strip()) < 100:
            raise RuntimeError(f"{name} failed ({done.returncode}): {done.stderr[-500:]}")
    names = list(commands)
    for name in names:
        out["commands"][name] = {"times_ms": []}
    if hyperfine:
        version = subprocess.run([hyperfine, "--version"], capture_output=True, text=True).stdout.strip()
        out["tool"] = f"{version}, in {cfg.cli_rounds} rounds with the order rotating"
        export = BENCH_DIR / "hyperfine.json"
        hyperfine_log = (BENCH_DIR / "hyperfine.log").open("w")  # its warnings, kept out of the way
        # hyperfine runs each command's runs in one block; rounds with the order rotating spread
        # the machine's drift over all the commands.
        for r in range(cfg.cli_rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            subprocess.run(
                [hyperfine, "-N", "--warmup", str(cfg.cli_warmup), "--runs", str(cfg.cli_runs // cfg.cli_rounds),
                 "--style", "none", "--export-json", str(export), *(commands[n] for n in order)],
                env=env, check=True, timeout=CHILD_TIMEOUT, stdout=subprocess.DEVNULL, stderr=hyperfine_log,
            )
            for name, entry in zip(order, json.loads(export.read_text())["results"]):
                out["commands"][name]["times_ms"] += [t * 1e3 for t in entry["times"]]
        hyperfine_log.close()
    else:
        out["tool"] = "a timing loop, the commands taking turns (hyperfine not installed)"
        for i in range(cfg.cli_warmup + cfg.cli_runs):
            for name in names:
                t0 = time.perf_counter()
                subprocess.run(commands[name].split(), env=env, check=True, capture_output=True, timeout=60)
                if i >= cfg.cli_warmup:
                    out["commands"][name]["times_ms"].append((time.perf_counter() - t0) * 1e3)
    for name, command in commands.items():
        out["commands"][name]["command"] = command.replace(str(REPO) + "/", "")
    return out


def memory(auth: Authority, cfg: Config, pki: Pki) -> Dict[str, Any]:
    out: Dict[str, Any] = {"native": run_json([str(BIN / "cycles"), str(cfg.cycles)], auth.env())}
    valgrind = shutil.which("valgrind")
    if not valgrind:
        out["valgrind"] = None
        return out
    flags = ["--leak-check=full", "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite"]
    runs = {}
    # Plain http first: the TLS run adds valgrind's false positives on ring's AES-GCM assembly
    # ("uninitialised value" in ring::aead), which have nothing to do with the cache.
    with Authority(pki, ttl=3600, tls=False) as plain:
        runs["http"] = valgrind_run(valgrind, flags, plain.env(), cfg.valgrind_cycles, "http")
    runs["https"] = valgrind_run(valgrind, flags, auth.env(), cfg.valgrind_cycles, "https")
    out["valgrind"] = {"version": subprocess.run([valgrind, "--version"], capture_output=True, text=True).stdout.strip(),
                       "flags": flags, "cycles": cfg.valgrind_cycles, "runs": runs}
    return out


def valgrind_run(valgrind: str, flags: List[str], env: Dict[str, str], cycles: int, name: str) -> Dict[str, Any]:
    log_file = BENCH_DIR / f"valgrind-{name}.log"
    t0 = time.time()
    done = subprocess.run([valgrind, *flags, f"--log-file={log_file}", str(BIN / "cycles"), str(cycles)],
                          env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    text = log_file.read_text()

    def field(pattern: str) -> Optional[str]:
        match = re.search(pattern, text)
        return match.group(1).replace(",", "") if match else None

    contexts = sorted(set(re.findall(r"==\d+== (Conditional jump[^\n]*|Syscall param[^\n]*|Invalid [^\n]*|Use of uninit[^\n]*)", text)))
    return {
        "exit_status": done.returncode,
        "seconds": round(time.time() - t0, 1),
        "result": json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None,
        "definitely_lost_bytes": int(field(r"definitely lost: ([\d,]+) bytes") or 0),
        "definitely_lost_blocks": int(field(r"definitely lost: [\d,]+ bytes in ([\d,]+) blocks") or 0),
        "indirectly_lost_bytes": int(field(r"indirectly lost: ([\d,]+) bytes") or 0),
        "possibly_lost_bytes": int(field(r"possibly lost: ([\d,]+) bytes") or 0),
        "still_reachable_bytes": int(field(r"still reachable: ([\d,]+) bytes") or 0),
        "heap_allocs": int(field(r"total heap usage: ([\d,]+) allocs") or 0),
        "errors": int(field(r"ERROR SUMMARY: ([\d,]+) errors") or 0),
        "error_kinds": contexts,
        "log": str(log_file.relative_to(REPO)),
    }


def short_lifetime(auth: Authority, cfg: Config) -> Dict[str, Any]:
    """Tokens living auth.ttl seconds, each peer calling cfg.short_rate times a second.

    The three peers run at once, each as its own client id, and the authority's request log
    tells their requests apart by the client_id in the body. The driver reads it once per token
    lifetime, so each window's count is that peer's requests during one lifetime.
    """
    peers = {"ours": "vf-post", "msal": "vf-post-2", "authlib": "vf-basic"}
    env = child_env()
    processes = {peer: spawn(worker("steady", peer, auth, "--client-id", client_id, "--rate", str(cfg.short_rate),
                                    "--seconds", str(cfg.short_seconds)), env)
                 for peer, client_id in peers.items()}
    ready_go(list(processes.values()), auth.reset)
    started = time.monotonic()
    windows: List[Dict[str, int]] = []
    previous = {client_id: 0 for client_id in peers.values()}
    n_windows = int(cfg.short_seconds // auth.ttl)
    for w in range(1, n_windows + 1):
        time.sleep(max(0.0, started + w * auth.ttl - time.monotonic()))
        counts = count_by_client(auth)
        windows.append({peer: counts.get(cid, 0) - previous.get(cid, 0) for peer, cid in peers.items()})
        previous = counts
    results = {peer: finish(process) for peer, process in processes.items()}
    totals = count_by_client(auth)
    return {
        "ttl": auth.ttl, "rate": cfg.short_rate, "seconds": cfg.short_seconds, "client_ids": peers,
        "windows": windows, "total_requests": {peer: totals.get(cid, 0) for peer, cid in peers.items()},
        "workers": results,
    }


def count_by_client(auth: Authority) -> Dict[str, int]:
    """Token requests so far per client id, as the authority counts them (from the form's
    client_id or from a Basic header)."""
    return dict(auth.stats()["token_requests_by_client"])


def sizes() -> Dict[str, Any]:
    out = {}
    for name, path in (("libvidiflow_auth.so", LIBRARY), ("vf-token", VF_TOKEN)):
        stripped = BENCH_DIR / f"{path.name}.stripped"
        subprocess.run(["strip", "--strip-all", "-o", str(stripped), str(path)], check=True)
        out[name] = {"bytes": path.stat().st_size, "stripped_bytes": stripped.stat().st_size}
    needed = subprocess.run(["readelf", "-d", str(LIBRARY)], capture_output=True, text=True).stdout
    out["needed"] = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", needed)
    out["exported_vf_functions"] = len(re.findall(
        r"\sFUNC\s+GLOBAL\s+DEFAULT\s+\d+\s+vf_", subprocess.run(["readelf", "--dyn-syms", "-W", str(LIBRARY)],
                                                                 capture_output=True, text=True).stdout))
    return out


# ---------------------------------------------------------------------------------- machine

def _command(*args: str) -> str:
    try:
        done = subprocess.run(list(args), capture_output=True, text=True, timeout=30)
        return (done.stdout or done.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "(not available)"


def machine() -> Dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    meminfo = Path("/proc/meminfo").read_text()
    memory_kb = int(re.search(r"^MemTotal:\s*(\d+)", meminfo, re.M).group(1))
    clocksource = Path("/sys/devices/system/clocksource/clocksource0/current_clocksource")
    versions = {}
    for package in ("msal", "authlib", "requests", "httpx", "urllib3", "cryptography", "PyJWT"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    git = _command("git", "-C", str(REPO), "rev-parse", "--short", "HEAD")
    try:
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        dirty = ""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "uname": " ".join(platform.uname()),
        "cpu": model.group(1).strip() if model else platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "clocksource": clocksource.read_text().strip() if clocksource.exists() else None,
        "rustc": _command("rustc", "--version"),
        "gcc": _command("gcc", "--version"),
        "node": _command("node", "--version"),
        "oidc_provider": json.loads((REPO / "tests/authority/node_modules/oidc-provider/package.json").read_text())["version"]
        if (REPO / "tests/authority/node_modules/oidc-provider/package.json").exists() else None,
        "curl": _command("curl", "--version"),
        "python": platform.python_version(),
        "python_packages": versions,
        "git": f"{git}{' + uncommitted changes' if dirty else ''}",
        "library_version": _command(str(VF_TOKEN), "--version"),
    }


# ------------------------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(prog="vfbench.run")
    parser.add_argument("--out", default=str(BENCH_DIR / "results.json"))
    parser.add_argument("--quick", action="store_true", help="small counts: checks the suite, numbers mean nothing")
    args = parser.parse_args()
    cfg = Config(args.quick)
    for path in (LIBRARY, VF_TOKEN, BIN / "hit"):
        if not path.exists():
            raise SystemExit(f"{path} is missing: run `make bench` (it builds everything first)")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.update(child_env())  # this process imports nothing of ours, but its children inherit it

    started = time.time()
    results: Dict[str, Any] = {"machine": machine(), "config": cfg.as_dict(), "quick": args.quick,
                               "measurements": {}}
    log(f"machine: {results['machine']['cpu']}, {results['machine']['cores']} cores, load {loadavg()}")
    pki = Pki(BENCH_DIR / "pki")
    t = cfg.herd_threads

    with Authority(pki, ttl=3600) as main_authority:
        section(results, "hit_native", lambda: hit_native(main_authority, cfg))
        section(results, "reference", lambda: reference(cfg))
        section(results, "hit_python", lambda: hit_python(main_authority, cfg))
        section(results, "hit_dotnet", lambda: hit_dotnet(main_authority, cfg))
        section(results, "herd_cold", lambda: herds(main_authority, "cold", cfg.herd_cold_runs, t, 0))
        section(results, "refresh", lambda: refresh(main_authority, cfg))
        section(results, "cli", lambda: cli(main_authority, cfg))
        section(results, "memory", lambda: memory(main_authority, cfg, pki))

    # Just expired: 2-second tokens, a sleep of 2.3 s (past expiry), then the herd.
    with Authority(pki, ttl=2) as short:
        section(results, "herd_expired", lambda: herds(short, "expired", cfg.herd_expired_runs, t, 2300))
    # msal holds a token as expired once less than 5 minutes remain, so 2-second tokens are
    # never cached by it at all; with 301-second tokens msal's own expiry comes after 1 s.
    with Authority(pki, ttl=301) as msal_ttl:
        section(results, "herd_expired_msal301",
                lambda: herds(msal_ttl, "expired", cfg.herd_expired_runs, t, 1300, peers=["msal"]))

    with Authority(pki, ttl=5) as five:
        section(results, "short_lifetime", lambda: short_lifetime(five, cfg))

    section(results, "sizes", sizes)
    results["seconds"] = round(time.time() - started, 1)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    log(f"results: {args.out} ({results['seconds']} s)")
    failed = [name for name, m in results["measurements"].items() if m["error"]]
    if failed:
        log(f"failed measurements: {', '.join(failed)}")


if __name__ == "__main__":
    main()
