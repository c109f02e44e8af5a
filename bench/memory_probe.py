"""A fresh bot process for the memory measure: start, run one poll cycle, print peak RSS.

Run by bench/measures/memory.py as `python -m bench.memory_probe DATABASE TELEGRAM_URL
TASK_API_URL`; prints one JSON object. A process of its own, so that its peak RSS is the
bot's alone and not the benchmark's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from bench.bot import bench_settings, running_bot
from bench.fakes import FakeUrls


def _status_megabytes(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} missing from /proc/self/status")


def rss_megabytes() -> float:
    """Return the current resident set size in MB."""
    return _status_megabytes("VmRSS")


def peak_rss_megabytes() -> float:
    """Return the peak resident set size in MB since this program started.

    getrusage's ru_maxrss is not used: Linux carries it over an exec from the process that
    forked, so it would report the parent's RSS. VmHWM belongs to this program's own memory.
    """
    return _status_megabytes("VmHWM")


async def probe(database: Path, telegram_url: str, task_api_url: str) -> dict[str, float]:
    urls = FakeUrls(telegram_url, task_api_url)
    settings = bench_settings(urls, database, poll_interval_seconds=3600)
    async with running_bot(settings) as bot:
        started_rss = rss_megabytes()
        started_peak = peak_rss_megabytes()
        started = time.perf_counter()
        await bot.services.poller.run_cycle()
        cycle_seconds = time.perf_counter() - started
        open_watches = await bot.services.store.count_open()
    return {
        "rss_after_start_mb": started_rss,
        "peak_rss_after_start_mb": started_peak,
        "peak_rss_mb": peak_rss_megabytes(),
        "cycle_seconds": cycle_seconds,
        "open_watches": open_watches,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database", type=Path)
    parser.add_argument("telegram_url")
    parser.add_argument("task_api_url")
    arguments = parser.parse_args()
    result = asyncio.run(probe(arguments.database, arguments.telegram_url, arguments.task_api_url))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
