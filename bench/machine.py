"""The machine and software a benchmark ran on, read from the machine itself."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib import metadata
from pathlib import Path

_PACKAGES = ("python-telegram-bot", "httpx", "httpcore", "aiosqlite", "aiohttp", "sniffio")


def cpu_model() -> str:
    """Return the CPU's model name from /proc/cpuinfo, or the platform's processor name."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_gigabytes() -> float | None:
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        return None
    for line in meminfo.read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return None


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe_machine() -> list[tuple[str, str]]:
    """Return (what, value) pairs: CPU, cores, memory, OS, Python, SQLite, packages, load."""
    memory = memory_gigabytes()
    rows = [
        ("CPU", cpu_model()),
        ("cores available", str(len(os.sched_getaffinity(0)))),
        ("memory", f"{memory:.1f} GiB" if memory is not None else "unknown"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("SQLite", sqlite3.sqlite_version),
    ]
    rows.extend((name, package_version(name)) for name in _PACKAGES)
    rows.append(("load average at the end (1, 5, 15 min)", load_average()))
    return rows


def load_average() -> str:
    """Return the load averages, which show whether other work shared the CPU."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"
