"""Measure 6: many /watch commands at once: watches stored per second, and lock errors."""

from __future__ import annotations

import asyncio
import time

from bench.bot import bench_settings, running_bot
from bench.context import BenchContext
from bench.results import Figure, Section
from bench.workload import mixed_chat_ids, task_id
from tests.fakes.updates import group_chat, message_update, private_chat

_FIRST_TASK = 4_000_000
_FIRST_USER = 4_000_000
_HANDLED_TIMEOUT_SECONDS = 300.0


async def run(context: BenchContext) -> Section:
    config = context.config
    commands, per_command = config.watch_commands, config.watch_ids
    expected = commands * per_command
    await context.fakes.request("put_tasks", first=_FIRST_TASK, count=expected, state="pending")

    chats = mixed_chat_ids(commands)
    updates = []
    for position, chat_id in enumerate(chats):
        ids = [task_id(_FIRST_TASK + position * per_command + n) for n in range(per_command)]
        chat = private_chat(chat_id) if chat_id > 0 else group_chat(chat_id)
        user = chat_id if chat_id > 0 else _FIRST_USER + position
        updates.append(message_update("/watch " + " ".join(ids), chat=chat, from_user=user))

    path = context.new_database_path("watch")
    errors_before = context.log.errors
    locked_before = context.log.database_locked
    async with running_bot(bench_settings(context.fakes.urls, path)) as bot:
        update_ids = [
            await context.fakes.request("push_update", update=update) for update in updates
        ]
        async with asyncio.timeout(_HANDLED_TIMEOUT_SECONDS):
            for update_id in update_ids:
                await bot.processor.handled[update_id].wait()
        finished = time.monotonic()
        counters = await context.fakes.request("telegram_counters")
        stored = await bot.services.store.count_open()
        await bot.services.poller.wait_for_requested()

    first_delivered = min(counters["update_delivered_at"][update_id] for update_id in update_ids)
    elapsed = finished - first_delivered
    errors = context.log.errors - errors_before
    locked = context.log.database_locked - locked_before
    rate = stored / elapsed

    headline = Figure("watches stored", stored, "", expected, at_least=True)
    return Section(
        number=6,
        title="Concurrent /watch",
        configuration=config.name,
        headline=headline,
        figures=[
            Figure('"database is locked" errors', locked, "", 0),
            Figure("errors logged", errors, "", 0),
        ],
        header=["commands", "ids each", "watches stored", "seconds", "watches / s",
                '"database is locked"', "errors logged"],
        rows=[[
            f"{commands}", f"{per_command}", f"{stored:,} of {expected:,}", f"{elapsed:.2f}",
            f"{rate:,.0f}", f"{locked}", f"{errors}",
        ]],
        notes=[
            f"{commands} chats, half of them groups, each send one /watch of {per_command} "
            "running tasks, all queued at once. Time runs from getUpdates returning the first "
            "of them to the bot having handled the last; each /watch also requests a poll cycle.",
        ],
        summary_extra=f"{rate:,.0f} watches/s, {locked} \"database is locked\", {errors} errors",
    )
