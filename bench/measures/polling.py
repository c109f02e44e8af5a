"""Measure 1: API calls, wall time and CPU time of one poll cycle, beside the naive baseline."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.bot import bench_settings, running_bot
from bench.context import BenchContext
from bench.naive import naive_poll_each_task
from bench.results import Figure, Section, format_value, growth_exponent, median
from bench.seeding import create_database, insert_watches, spread_over_chats
from bot.settings import Settings

# The target of CPU time for one cycle over 10 000 open watches. A configuration without
# that size compares its largest size with the target scaled in proportion.
CPU_TARGET_SECONDS = 1.0
CPU_TARGET_SIZE = 10_000
# Growth counts as linear up to this exponent, because the CPU time of one cycle varies by
# several percent from run to run on a shared machine.
GROWTH_TOLERANCE = 1.1

# The bot's default API_CHUNK_SIZE, which the measure runs with.
CHUNK_SIZE = Settings.model_fields["api_chunk_size"].default

# With this interval the bot's own poll job does not run during the measure, so that the
# measured cycles are the only ones.
_QUIET_POLL_INTERVAL_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class CycleCost:
    calls: int
    wall_seconds: float
    cpu_seconds: float


async def run(context: BenchContext) -> Section:
    config = context.config
    largest = max(config.poll_sizes)
    await context.fakes.request("put_tasks", first=0, count=largest, state="pending")

    real: dict[int, CycleCost] = {}
    naive: dict[int, CycleCost] = {}
    for size in config.poll_sizes:
        real[size], naive_cost = await _measure_size(context, size)
        if naive_cost is not None:
            naive[size] = naive_cost

    return _section(context, real, naive)


async def _measure_size(context: BenchContext, size: int) -> tuple[CycleCost, CycleCost | None]:
    config = context.config
    path = context.new_database_path(f"poll-{size}")
    await create_database(path)
    insert_watches(path, spread_over_chats(0, size))

    settings = bench_settings(
        context.fakes.urls, path, poll_interval_seconds=_QUIET_POLL_INTERVAL_SECONDS
    )
    async with running_bot(settings) as bot:
        services = bot.services
        # The first cycle warms up the connections and SQLite's page cache.
        await services.poller.run_cycle()
        real = await _median_cost(context, config.repeats, services.poller.run_cycle)

        naive = None
        if size <= config.naive_max_size:
            naive = await _median_cost(
                context,
                config.naive_repeats,
                lambda: naive_poll_each_task(services.store, services.tasks),
            )

    expected = math.ceil(size / CHUNK_SIZE)
    if real.calls != expected:
        raise AssertionError(f"{size} watches took {real.calls} calls, expected {expected}")
    return real, naive


async def _median_cost(
    context: BenchContext, repeats: int, cycle: Callable[[], Awaitable[object]]
) -> CycleCost:
    costs = []
    for _ in range(repeats):
        mark = await context.fakes.request("marks")
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        await cycle()
        wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
        calls = await context.fakes.request("api_calls", since=mark["task_api"])
        costs.append(CycleCost(len(calls), wall, cpu))
    return CycleCost(
        calls=int(median([cost.calls for cost in costs])),
        wall_seconds=median([cost.wall_seconds for cost in costs]),
        cpu_seconds=median([cost.cpu_seconds for cost in costs]),
    )


def _section(context: BenchContext, real: dict[int, CycleCost], naive: dict[int, CycleCost]) -> Section:
    config = context.config
    sizes = sorted(real)
    header = [
        "open watches", "calls", f"ceil(N / {CHUNK_SIZE})", "wall s", "CPU s",
        "CPU ms / 1000 watches", "naive calls", "naive wall s", "naive CPU s",
    ]
    rows = []
    for size in sizes:
        cost = real[size]
        baseline = naive.get(size)
        row = [
            f"{size:,}", f"{cost.calls:,}", f"{math.ceil(size / CHUNK_SIZE):,}",
            f"{cost.wall_seconds:.3f}", f"{cost.cpu_seconds:.3f}",
            f"{1000 * 1000 * cost.cpu_seconds / size:.1f}",
        ]
        if baseline is not None:
            row += [f"{baseline.calls:,}", f"{baseline.wall_seconds:.2f}", f"{baseline.cpu_seconds:.2f}"]
        else:
            # One call after another, each waiting at least the added latency.
            row += [f"{size:,} (not run)", f"over {size * config.latency_seconds:,.0f} (estimate)", ""]
        rows.append(row)

    figures = []
    cpu_size = CPU_TARGET_SIZE if CPU_TARGET_SIZE in real else sizes[-1]
    cpu_figure = Figure(
        f"CPU per cycle at {cpu_size:,} watches", real[cpu_size].cpu_seconds, "CPU s",
        CPU_TARGET_SECONDS * cpu_size / CPU_TARGET_SIZE,
    )
    figures.append(cpu_figure)
    figures.append(
        Figure(
            f"calls per cycle at {sizes[-1]:,} watches", real[sizes[-1]].calls, "",
            math.ceil(sizes[-1] / CHUNK_SIZE),
        )
    )
    exponent = growth_exponent(sizes, [real[size].cpu_seconds for size in sizes])
    figures.append(
        Figure(
            f"CPU growth exponent, {sizes[-2]:,} to {sizes[-1]:,} watches", exponent, "", 1.0,
            max_ratio=GROWTH_TOLERANCE,
        )
    )
    summary_extra = ""
    if naive:
        largest_naive = max(naive)
        baseline = naive[largest_naive]
        summary_extra = (
            f"naive baseline at {largest_naive:,} watches: {baseline.calls:,} calls, "
            f"{baseline.wall_seconds / real[largest_naive].wall_seconds:.0f}× the bot's wall time"
        )

    notes = [
        f"Medians of {config.repeats} cycles per size for the bot and "
        f"{config.naive_repeats} for the naive baseline, after one warm-up cycle; every "
        f"response of the fake task API waits {format_value(config.latency_seconds * 1000, 'ms')}."
    ]
    return Section(
        number=1,
        title="Polling cost",
        configuration=config.name,
        headline=cpu_figure,
        figures=figures[1:],
        header=header,
        rows=rows,
        notes=notes,
        summary_extra=summary_extra,
    )
