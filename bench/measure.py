"""Timing and memory of a command, run repeatedly (hyperfine-style): median, min–max, peak RSS."""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import psutil
except ImportError:  # pragma: no cover - then memory is not reported
    psutil = None


@dataclass
class Timing:
    """The wall-clock seconds of repeated runs of one command, and their peak memory."""

    label: str
    command: str
    seconds: list[float] = field(default_factory=list)
    peak_tree_mib: list[float] = field(default_factory=list)  # all processes of the run, summed
    peak_main_mib: list[float] = field(default_factory=list)  # the command's own process
    # All processes' PSS summed: a page shared by n processes (a forked worker's inherited
    # memory) counts 1/n in each, so the sum is what the run holds; the RSS sum counts it n times.
    peak_pss_mib: list[float] = field(default_factory=list)
    cpu_user: list[float] = field(default_factory=list)  # CPU seconds of all its processes
    cpu_system: list[float] = field(default_factory=list)  # … in the kernel (files, folders)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def spread(self) -> str:
        return f"{min(self.seconds):.2f}–{max(self.seconds):.2f}"


def _tree_memory(proc: psutil.Process) -> tuple[int, int, int]:
    """(RSS of `proc`, RSS summed over it and its children, PSS summed likewise; 0 where the
    system does not tell PSS)."""
    try:
        main = proc.memory_info().rss
        total, pss = main, 0
        for p in [proc, *proc.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                if p is not proc:
                    total += p.memory_info().rss
                pss += getattr(p.memory_full_info(), "pss", 0)
        return main, total, pss
    except psutil.Error:
        return 0, 0, 0


def _sample(pid: int, done: threading.Event, peak: list[int]) -> None:
    """Until `done`: the largest RSS of `pid` (peak[0]), of it with its children (peak[1]) and
    their PSS (peak[2])."""
    if psutil is None:
        return
    try:
        proc = psutil.Process(pid)
    except psutil.Error:
        return
    while not done.is_set():
        main, total, pss = _tree_memory(proc)
        peak[0], peak[1], peak[2] = max(peak[0], main), max(peak[1], total), max(peak[2], pss)
        done.wait(0.02)


def installed_environment() -> dict[str, str]:
    """This environment as an installed tool runs in: with its bytecode. pip compiles a package's
    modules when it installs them; a shell that sets PYTHONDONTWRITEBYTECODE would otherwise have
    every run of a Python tool (ours, Pelican) compile its modules again."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(
    label: str,
    argv: Sequence[str | Path],
    *,
    cwd: Path,
    runs: int,
    before: Callable[[int], None] | None = None,
    env: dict[str, str] | None = None,
) -> Timing:
    """Run `argv` `runs` times; `before(i)` prepares run i (not timed). Fails loudly on exit != 0."""
    timing = Timing(label, " ".join(str(a) for a in argv))
    for i in range(runs):
        if before:
            before(i)
        peak = [0, 0, 0]
        before_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.Popen(
            [str(a) for a in argv],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**installed_environment(), **(env or {})},
        )
        done = threading.Event()
        sampler = threading.Thread(target=_sample, args=(proc.pid, done, peak), daemon=True)
        sampler.start()
        _, err = proc.communicate()
        elapsed = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and the workers it waited for
        done.set()
        sampler.join()
        if proc.returncode != 0:
            raise RuntimeError(f"{label}: exit {proc.returncode}: {err.decode(errors='replace')[-2000:]}")
        timing.seconds.append(elapsed)
        timing.cpu_user.append(usage.ru_utime - before_usage.ru_utime)
        timing.cpu_system.append(usage.ru_stime - before_usage.ru_stime)
        timing.peak_main_mib.append(peak[0] / 2**20)
        timing.peak_tree_mib.append(peak[1] / 2**20)
        timing.peak_pss_mib.append(peak[2] / 2**20)
        print(f"  {label}: run {i + 1}/{runs}: {elapsed:.2f} s", flush=True)
    return timing


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def free_port() -> int:
    """A free loopback port for a server a test or benchmark starts (some servers cannot take 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """End a server process: SIGTERM, and SIGKILL if it has not exited after `grace` seconds."""
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_seconds(timing: Timing) -> str:
    """Median CPU seconds of all the command's processes, in user space / in the kernel."""
    if not timing.cpu_user:
        return "–"
    return f"{statistics.median(timing.cpu_user):.2f} / {statistics.median(timing.cpu_system):.2f}"


def mib(values: list[float]) -> str:
    return f"{max(values):.0f}" if values and max(values) else "–"
