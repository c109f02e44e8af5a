"""Measure 3: many tasks finishing together, delivered at Telegram's real flood limits."""

from __future__ import annotations

import math
import time
from collections import Counter

from bench.bot import bench_settings, running_bot
from bench.context import BenchContext
from bench.results import Figure, Section
from bench.seeding import create_database, insert_watches
from bench.workload import mixed_chat_ids

# Telegram's limits for bots: messages per second over all chats, and per minute to a group.
OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
# The target: everything delivered within this multiple of the floor.
MAX_FLOOR_RATIO = 1.2

_FIRST_TASK = 2_000_000


def floor_seconds(messages_per_chat: Counter[int]) -> float:
    """Return the shortest time from a burst's first message to its last within the limits.

    Telegram counts messages in sliding windows, so n messages under a limit of L per window
    W need ceil(n / L) windows, and the last can go (ceil(n / L) - 1) * W after the first.
    The floor is the longest of that over all chats (30 a second) and each group (20 a
    minute). Groups have negative chat ids.
    """
    total = sum(messages_per_chat.values())
    overall = (math.ceil(total / OVERALL_PER_SECOND) - 1) * 1.0
    groups = [count for chat_id, count in messages_per_chat.items() if chat_id < 0]
    per_group = max(
        ((math.ceil(count / GROUP_PER_MINUTE) - 1) * 60.0 for count in groups), default=0.0
    )
    return max(overall, per_group)


async def run(context: BenchContext) -> Section:
    config = context.config
    count = config.burst_tasks
    chats = mixed_chat_ids(config.burst_chats)
    watches = [(chats[n % len(chats)], _FIRST_TASK + n) for n in range(count)]

    # The tasks run while the bot starts, so its poll at start has nothing to deliver, and
    # finish together once it is up.
    await context.fakes.request("put_tasks", first=_FIRST_TASK, count=count, state="pending")
    path = context.new_database_path("burst")
    await create_database(path)
    insert_watches(path, watches)

    await context.fakes.request(
        "configure",
        latency=config.latency_seconds,
        overall_rate_per_second=OVERALL_PER_SECOND,
        group_rate_per_minute=GROUP_PER_MINUTE,
    )
    await context.fakes.request("reset_flood_limits")
    try:
        # Default settings: the bot sizes its own rate limiter to Telegram's limits.
        async with running_bot(bench_settings(context.fakes.urls, path)) as bot:
            await context.fakes.request(
                "put_tasks", first=_FIRST_TASK, count=count, state="succeeded"
            )
            mark = await context.fakes.request("marks")
            started = time.monotonic()
            await bot.services.poller.run_cycle()
            stats = bot.services.poller.stats
            delivered, failed = stats.delivered, stats.failed_deliveries
        counters = await context.fakes.request("telegram_counters")
        messages = await context.fakes.request("messages", since=mark["telegram"])
    finally:
        await context.fakes.request("configure", latency=config.latency_seconds)

    accepted = [message for message in messages if message["ok"]]
    if delivered != count or failed:
        raise AssertionError(f"burst: {delivered} of {count} delivered, {failed} failed deliveries")
    elapsed = max(message["at"] for message in accepted) - started
    floor = floor_seconds(Counter(message["chat_id"] for message in accepted))
    hits = counters["rate_limit_hits"]
    return _section(context, count, len(chats), len(accepted), elapsed, floor, hits)


def _section(
    context: BenchContext, count: int, chats: int, messages: int, elapsed: float, floor: float,
    rate_limit_hits: int,
) -> Section:
    headline = Figure(
        "time to deliver", elapsed, "s", floor, reference_name="floor", max_ratio=MAX_FLOOR_RATIO
    )
    hits = Figure("429 responses", rate_limit_hits, "", 0)
    return Section(
        number=3,
        title="Burst at Telegram's limits",
        configuration=context.config.name,
        headline=headline,
        figures=[hits],
        header=["tasks", "chats", "messages", "floor s", "time s", "ratio to floor", "429s"],
        rows=[[
            f"{count:,}", f"{chats}", f"{messages:,}", f"{floor:g}", f"{elapsed:.2f}",
            f"{elapsed / floor:.2f}" if floor else "n/a", f"{rate_limit_hits}",
        ]],
        notes=[
            "Time runs from the start of the poll cycle that finds every task finished to "
            "the arrival of the last message at the fake Bot API. The fake enforces 30 "
            "messages a second overall and 20 a minute per group, and the bot runs with its "
            "default settings.",
        ],
        summary_extra=f"{rate_limit_hits} responses 429",
    )
