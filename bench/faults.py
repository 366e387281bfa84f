"""Fault test: kill a gunicorn worker and restart PostgreSQL in the middle of the load.

    .venv/bin/python -m bench.faults --workers 4 --duration 60 --users 30
    .venv/bin/python -m bench.faults --no-pg-restart     # only the worker is killed

Sets up like bench.load (its own database, default qhatu_faults, and Redis db 14), starts
gunicorn with the project's gunicorn.conf.py and drives the same mix of virtual users. Then:

- at `--kill-at` seconds it sends SIGKILL to one worker and times how long the gunicorn
  master takes to have all its workers again;
- at `--restart-at` seconds (unless `--no-pg-restart`) it restarts the PostgreSQL cluster
  (`pg_ctlcluster <version> <cluster> restart`, as root; the server is shared, so run this
  once and tell the others), and times how long until pages and /readyz answer again.

A probe asks /readyz four times a second throughout. Afterwards it prints what clients saw
(statuses overall, and inside each fault's window), the recovery times, and runs
`flask audit`. Exits 1 if a request hung past the timeout, if any error happened outside a
fault's window, if the app did not recover, or if the audit finds anything.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

from bench.load import (
    app_env,
    keep_error_pages,
    make_parser,
    plan_users,
    prepare,
    run_audit,
    start_clients,
    start_gunicorn,
    summary,
)

GRACE_SECONDS = 5.0  # after a fault is over, errors in this margin still belong to it


def pg_cluster() -> list[str]:
    """The command that restarts the local PostgreSQL cluster."""
    if shutil.which("pg_lsclusters") and shutil.which("pg_ctlcluster"):
        out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            version, cluster, port, status = line.split()[:4]
            if port == "5432" and status == "online":
                return ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart"]
    if shutil.which("service"):
        return ["service", "postgresql", "restart"]
    raise SystemExit("found no way to restart PostgreSQL on this machine")


class Probe(threading.Thread):
    """Asks /readyz every quarter of a second: (time, status or error)."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.seen: list[tuple[float, int | str]] = []
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            at = time.time()
            try:
                status = requests.get(self.url, timeout=5).status_code
            except requests.RequestException as error:
                status = type(error).__name__
            self.seen.append((at, status))
            self.stopped.wait(0.25)

    def first_ready_after(self, moment: float) -> float | None:
        return next((at for at, status in self.seen if at >= moment and status == 200), None)

    def unready(self, start: float, end: float) -> Counter:
        return Counter(str(s) for at, s in self.seen if start <= at <= end and s != 200)


def kill_worker(server, workers: int) -> dict:
    """SIGKILL one worker; wait until the master has `workers` workers again."""
    victim = server.worker_pids()[0]
    started = time.time()
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = server.worker_pids()
        if victim not in pids and len(pids) >= workers:
            return {"pid": victim, "at": started, "respawned": time.time()}
        time.sleep(0.05)
    return {"pid": victim, "at": started, "respawned": None}


def restart_postgresql() -> dict:
    command = pg_cluster()
    started = time.time()
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    return {
        "command": " ".join(command),
        "at": started,
        "back": time.time(),
        "exit": result.returncode,
        "output": (result.stdout + result.stderr).strip(),
    }


def first_ok_after(samples, moment: float) -> float | None:
    """When the first request begun after `moment` succeeded (its end)."""
    done = [s.started + s.seconds for s in samples if s.started >= moment and s.outcome == "ok"]
    return min(done, default=None)


def overlaps(sample, start: float, end: float) -> bool:
    """The request was in flight at some moment of [start, end]."""
    return sample.started <= end and sample.started + sample.seconds >= start


def window_lines(samples, probe, label: str, start: float, end: float) -> list[str]:
    inside = [s for s in samples if overlaps(s, start, end)]
    statuses = Counter(str(s.status) for s in inside)
    errors = sum(s.outcome == "error" for s in inside)
    return [
        f"  {label}: {len(inside)} requests in flight during the window ({end - start:.1f} s), "
        f"{errors} errors; statuses: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())),
        f"    /readyz not 200 meanwhile: {dict(probe.unready(start, end)) or 'never'}",
    ]


def main(argv=None) -> int:
    parser = make_parser(__doc__)
    parser.set_defaults(database="qhatu_faults", redis_db=14, users=30, ceiling_duration=0)
    parser.add_argument("--kill-at", type=float, default=15, help="s into the load (15)")
    parser.add_argument("--restart-at", type=float, default=35, help="s into the load (35)")
    parser.add_argument(
        "--no-pg-restart", action="store_true", help="do not restart PostgreSQL (shared server)"
    )
    args = parser.parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="qhatu-faults-"))
    print(f"preparing {args.database} (schema from {args.schema}, demo seed)...", flush=True)
    url, redis_url, data = prepare(args)
    env = app_env(url, redis_url)
    server = start_gunicorn(env, args.workers, log_dir / "gunicorn.log")
    print(f"gunicorn: {args.workers} workers at {server.base}; log in {log_dir}", flush=True)
    probe = Probe(server.base + "/readyz")
    probe.start()
    kill = restart = None
    try:
        plan = plan_users(data, args.users)
        pool, result, start_at, stop_at = start_clients(
            server.base, plan, data, args.duration, args.think, args.client_procs
        )
        time.sleep(max(0.0, start_at + args.kill_at - time.time()))
        kill = kill_worker(server, args.workers)
        print(f"killed worker {kill['pid']} at {time.strftime('%H:%M:%S')}", flush=True)
        if not args.no_pg_restart:
            time.sleep(max(0.0, start_at + args.restart_at - time.time()))
            restart = restart_postgresql()
            print(
                f"restarted PostgreSQL ({restart['command']}, exit {restart['exit']}) at "
                f"{time.strftime('%H:%M:%S', time.gmtime(restart['at']))} UTC in "
                f"{restart['back'] - restart['at']:.1f} s",
                flush=True,
            )
        samples = [s for part in result.get() for s in part]
        pool.join()
    finally:
        probe.stopped.set()
        server.stop()
    wall = stop_at - start_at
    keep_error_pages(samples, log_dir)
    lines = [
        f"faults: {args.workers} gunicorn workers on PostgreSQL + Redis, {args.users} virtual "
        f"users, {os.cpu_count()} cores shared with the clients",
        *summary(samples, wall, "whole run"),
    ]
    windows = []
    respawn = kill["respawned"]
    lines.append(
        f"worker kill (SIGKILL to pid {kill['pid']}): "
        + (
            f"gunicorn had {args.workers} workers again after {respawn - kill['at']:.2f} s"
            if respawn
            else "the worker was NOT replaced within 60 s"
        )
    )
    kill_end = (respawn or kill["at"]) + GRACE_SECONDS
    windows.append((kill["at"] - 0.5, kill_end))
    lines.extend(window_lines(samples, probe, "around the kill", kill["at"] - 0.5, kill_end))
    recovered = respawn is not None
    if restart:
        ok_at = first_ok_after(samples, restart["back"])
        ready_at = probe.first_ready_after(restart["back"])
        lines.append(
            f"PostgreSQL restart ({restart['command']}) at "
            f"{time.strftime('%H:%M:%S', time.gmtime(restart['at']))} UTC: down and back in "
            f"{restart['back'] - restart['at']:.1f} s; first page served after it "
            + (f"{ok_at - restart['back']:.2f} s later" if ok_at else "NEVER")
            + "; /readyz 200 again "
            + (f"{ready_at - restart['back']:.2f} s later" if ready_at else "NEVER")
        )
        end = max(filter(None, (ok_at, ready_at, restart["back"]))) + GRACE_SECONDS
        windows.append((restart["at"] - 0.5, end))
        lines.extend(window_lines(samples, probe, "around the restart", restart["at"] - 0.5, end))
        failed = [
            s.started + s.seconds
            for s in samples
            if s.outcome == "error" and overlaps(s, restart["at"] - 0.5, end)
        ]
        if failed:
            lines.append(
                f"    errors answered from {min(failed) - restart['at']:+.2f} s to "
                f"{max(failed) - restart['at']:+.2f} s after the restart began"
            )
        recovered = recovered and ok_at is not None and ready_at is not None
    stray = [
        s
        for s in samples
        if s.outcome == "error" and not any(overlaps(s, a, b) for a, b in windows)
    ]
    hung = [s for s in samples if s.status == "timeout"]
    slowest = max((s.seconds for s in samples), default=0)
    lines.append(
        f"errors outside the fault windows: {len(stray)}; requests that hung past the "
        f"timeout: {len(hung)}; slowest request {slowest:.1f} s"
    )
    for s in stray[:10]:
        lines.append(f"  stray: {s.kind} -> {s.status}")
    log = (log_dir / "gunicorn.log").read_text(errors="replace")
    lines.append(
        f"gunicorn log: {len(re.findall(r'Booting worker', log))} worker boots, "
        f"{log.count('level=ERROR')} app errors logged, "
        f"{len(re.findall(r'WORKER TIMEOUT', log))} worker timeouts"
    )
    code, audit = run_audit(env)
    lines.append(f"audit (exit {code}): {audit}")
    print("\n".join(lines))
    return 0 if (code == 0 and recovered and not stray and not hung) else 1


if __name__ == "__main__":
    raise SystemExit(main())
