"""Measure 2: time from a task finishing to its notification reaching the Bot API."""

from __future__ import annotations

import random

from bench.bot import bench_settings, running_bot
from bench.context import BenchContext
from bench.results import Figure, Section, format_value, percentile
from bench.seeding import create_database, insert_watches, spread_over_chats
from bench.waiting import first_messages_to
from bench.workload import private_chat_id, task_id

# The target: the 95th percentile at most one poll interval plus this many seconds.
SLACK_SECONDS = 1.0

# Task and chat numbers of this measure, apart from those of the others.
_FIRST_TASK = 1_000_000
_FIRST_CHAT = 1_000_000
_SEED = 2


async def run(context: BenchContext) -> Section:
    config = context.config
    interval = config.latency_poll_interval_seconds
    background = config.latency_background
    count = config.latency_tasks

    await context.fakes.request("put_tasks", first=0, count=background, state="pending")
    await context.fakes.request("put_tasks", first=_FIRST_TASK, count=count, state="pending")
    path = context.new_database_path("latency")
    await create_database(path)
    chats = [private_chat_id(_FIRST_CHAT + n) for n in range(count)]
    insert_watches(path, spread_over_chats(0, background))
    insert_watches(path, [(chats[n], _FIRST_TASK + n) for n in range(count)])

    # The bot's first poll comes one interval after start, so tasks finish from then on, at
    # times spread evenly at random over the window.
    generator = random.Random(_SEED)
    delays = [
        (_FIRST_TASK + n, interval + generator.uniform(0, config.latency_window_seconds))
        for n in range(count)
    ]
    settings = bench_settings(context.fakes.urls, path, poll_interval_seconds=interval)
    async with running_bot(settings):
        mark = await context.fakes.request("marks")
        await context.fakes.request("finish_later", delays=delays)
        first = await first_messages_to(
            context.fakes, chats, since=mark["telegram"],
            timeout=interval * 4 + config.latency_window_seconds + 60,
        )
    finished_at = await context.fakes.request("finish_times")

    latencies = sorted(
        first[chats[n]]["at"] - finished_at[task_id(_FIRST_TASK + n)] for n in range(count)
    )
    return _section(context, latencies)


def _section(context: BenchContext, latencies: list[float]) -> Section:
    config = context.config
    interval = config.latency_poll_interval_seconds
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    target = interval + SLACK_SECONDS
    headline = Figure("p95 latency", p95, "s", target)
    return Section(
        number=2,
        title="Completion-to-notification latency",
        configuration=config.name,
        headline=headline,
        header=["tasks", "background watches", "poll interval s", "p50 s", "p95 s", "max s",
                "p95 target s"],
        rows=[[
            f"{len(latencies)}", f"{config.latency_background:,}", f"{interval:g}",
            f"{p50:.2f}", f"{p95:.2f}", f"{latencies[-1]:.2f}", f"{target:g}",
        ]],
        notes=[
            f"Percentiles over the {len(latencies)} tasks of one run, each in a chat of its "
            f"own, finishing at random over {config.latency_window_seconds:g} s; every fake "
            f"response waits {format_value(config.latency_seconds * 1000, 'ms')}.",
        ],
        summary_extra=f"p50 {p50:.2f} s",
    )
