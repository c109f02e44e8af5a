"""Measure 4: the bot's own time to reply to /task and to a /batch of 50."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bench.bare_bot import running_bare_bot
from bench.bot import BenchBot, bench_settings, running_bot
from bench.context import BenchContext
from bench.results import Figure, Section, format_value, median
from bench.workload import private_chat_id, task_id
from tests.fakes.updates import message_update, private_chat

TASK_TARGET_MS = 5.0
BATCH_TARGET_MS = 20.0

_FIRST_TASK = 3_000_000
_FIRST_CHAT = 3_000_000
# Seconds each command waits on the one before: the bot's rate limiter (27 messages a
# second after a burst of 2) is then idle again, so that no command waits on it.
_PAUSE_SECONDS = 0.2
_COMMAND_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    text: str
    target_ms: float


async def run(context: BenchContext) -> Section:
    config = context.config
    finished = config.batch_ids // 2
    await context.fakes.request("put_tasks", first=_FIRST_TASK, count=finished, state="succeeded")
    await context.fakes.request(
        "put_tasks", first=_FIRST_TASK + finished, count=config.batch_ids - finished, state="pending"
    )
    ids = [task_id(_FIRST_TASK + n) for n in range(config.batch_ids)]
    commands = [
        Command("/task", f"/task {ids[0]}", TASK_TARGET_MS),
        Command(f"/batch of {len(ids)}", "/batch " + " ".join(ids), BATCH_TARGET_MS),
    ]

    path = context.new_database_path("commands")
    overheads: dict[str, list[float]] = {command.name: [] for command in commands}
    async with running_bot(bench_settings(context.fakes.urls, path)) as bot:
        chat_numbers = iter(range(_FIRST_CHAT, _FIRST_CHAT + 1_000_000))
        for _ in range(config.command_repeats):
            for command in commands:
                overhead = await _overhead_ms(context, bot, command.text, next(chat_numbers))
                overheads[command.name].append(overhead)
                await asyncio.sleep(_PAUSE_SECONDS)

    # The same /task sent to a bare python-telegram-bot bot, which measures the stack's floor.
    bare_overheads: list[float] = []
    async with running_bare_bot(context.fakes.urls) as bare_bot:
        for _ in range(config.command_repeats):
            overhead = await _overhead_ms(context, bare_bot, commands[0].text, next(chat_numbers))
            bare_overheads.append(overhead)
            await asyncio.sleep(_PAUSE_SECONDS)

    figures = [
        Figure(f"{command.name} median overhead", median(overheads[command.name]), "ms",
               command.target_ms)
        for command in commands
    ]
    bare_median = median(bare_overheads)
    return Section(
        number=4,
        title="Command overhead",
        configuration=config.name,
        headline=figures[0],
        figures=figures[1:],
        header=["command", "repeats", "median ms", "max ms", "target ms"],
        rows=[
            [command.name, f"{len(overheads[command.name])}",
             f"{median(overheads[command.name]):.2f}", f"{max(overheads[command.name]):.2f}",
             f"{command.target_ms:g}"]
            for command in commands
        ] + [
            [f"{commands[0].name}, bare python-telegram-bot bot", f"{len(bare_overheads)}",
             f"{bare_median:.2f}", f"{max(bare_overheads):.2f}", "none"],
        ],
        notes=[
            f"Overhead is the time from getUpdates returning the command to the first message "
            f"of the reply reaching the fake Bot API. The fake task API's time from receiving "
            f"its one call to having the response ready is subtracted, its added "
            f"{format_value(config.latency_seconds * 1000, 'ms')} included. Each command "
            f"comes from a new private chat, "
            f"{_PAUSE_SECONDS:g} s after the previous reply. The /batch names "
            f"{config.batch_ids // 2} finished tasks and {config.batch_ids - config.batch_ids // 2} "
            f"running ones, which it starts watching.",
            f"The bare bot (bench/bare_bot.py) answers the same /task with the same two "
            f"requests, one task API call with httpx and one sendPhoto by URL, and nothing "
            f"else: no access check, rate limiter, SQLite, translation or fallbacks. Its "
            f"overhead is the floor that python-telegram-bot, httpx and the loopback fakes set "
            f"on this machine. The real bot's /task adds "
            f"{median(overheads[commands[0].name]) - bare_median:.2f} ms to it.",
        ],
        summary_extra=f"{figures[1].label} {figures[1].value:.2f} ms, "
        f"{figures[1].describe_ratio()}; bare python-telegram-bot /task {bare_median:.2f} ms",
    )


async def _overhead_ms(context: BenchContext, bot: BenchBot, text: str, chat_number: int) -> float:
    chat_id = private_chat_id(chat_number)
    mark = await context.fakes.request("marks")
    update = message_update(text, chat=private_chat(chat_id), from_user=chat_id)
    update_id = await context.fakes.request("push_update", update=update)
    await bot.wait_handled(update_id, _COMMAND_TIMEOUT_SECONDS)

    counters = await context.fakes.request("telegram_counters")
    messages = await context.fakes.request("messages", since=mark["telegram"])
    api_calls = await context.fakes.request("api_calls", since=mark["task_api"])
    reply = next(m for m in messages if m["chat_id"] == chat_id and m["ok"])
    received = counters["update_delivered_at"][update_id]
    # The bot makes its API calls one after another before it replies, so the fake's time
    # from each call's arrival to its response is time the bot spent waiting.
    api_seconds = sum(
        call["responded_at"] - call["at"] for call in api_calls if call["at"] < reply["at"]
    )
    return (reply["at"] - received - api_seconds) * 1000
