"""Measure 5: peak RSS of a fresh bot process with many watches stored, over one cycle."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bench.context import BenchContext
from bench.results import Figure, Section
from bench.seeding import create_database, insert_watches, spread_over_chats

TARGET_MB = 150.0
_PROBE_TIMEOUT_SECONDS = 900.0
_ROOT = Path(__file__).resolve().parents[2]


async def run(context: BenchContext) -> Section:
    config = context.config
    count = config.memory_watches
    await context.fakes.request("put_tasks", first=0, count=count, state="pending")
    path = context.new_database_path("memory")
    await create_database(path)
    insert_watches(path, spread_over_chats(0, count))

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.memory_probe", str(path),
        context.fakes.telegram_url, context.fakes.task_api_url,
        cwd=_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(_PROBE_TIMEOUT_SECONDS):
            stdout, stderr = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise RuntimeError(
            f"the memory probe failed with status {process.returncode}: "
            f"{stderr.decode(errors='replace')[-2000:]}"
        )
    result = json.loads(stdout)

    headline = Figure(f"peak RSS with {count:,} watches", result["peak_rss_mb"], "MB", TARGET_MB)
    return Section(
        number=5,
        title="Peak memory",
        configuration=config.name,
        headline=headline,
        header=["open watches", "RSS after start MB", "peak RSS before the cycle MB",
                "peak RSS MB", "cycle s", "target MB"],
        rows=[[
            f"{result['open_watches']:,}", f"{result['rss_after_start_mb']:.1f}",
            f"{result['peak_rss_after_start_mb']:.1f}", f"{result['peak_rss_mb']:.1f}",
            f"{result['cycle_seconds']:.2f}", f"{TARGET_MB:g}",
        ]],
        notes=[
            "A fresh process (bench/memory_probe.py) starts the bot on the seeded database, "
            "runs one poll cycle and reports its peak RSS, VmHWM in /proc/self/status. "
            "getrusage's ru_maxrss would include the RSS of the benchmark that started the "
            "process, which Linux carries over the exec. The fakes run in another process, "
            "so their memory is not counted either.",
        ],
    )
