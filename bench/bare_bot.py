"""A bare python-telegram-bot bot that replies to /task: the floor of the command overhead.

It makes the same HTTP requests as the real bot's /task of a finished task with one image: one
POST to the task API with httpx, then one sendPhoto by URL. It has none of the real bot's
work: no access check, rate limiter, SQLite, translation, chat action or delivery fallbacks.
The difference between the two overheads is what that work costs.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from telegram import Update
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from bench.bot import BenchBot
from bench.fakes import FakeUrls
from bench.workload import API_TOKEN, BOT_TOKEN
from bot.runner import running
from bot.tasks import parse_task
from tests.harness import ObservedUpdateProcessor

_LONG_POLL_SECONDS = 5
_TASKS_URL_PATH = "/nano-banana/tasks"


@contextlib.asynccontextmanager
async def running_bare_bot(urls: FakeUrls) -> AsyncIterator[BenchBot]:
    """Start the bare bot with long polling, and stop it when the block ends."""
    processor = ObservedUpdateProcessor()
    async with httpx.AsyncClient(
        base_url=urls.task_api, headers={"authorization": f"Bearer {API_TOKEN}"}
    ) as http:
        application = (
            ApplicationBuilder()
            .token(BOT_TOKEN)
            .base_url(f"{urls.telegram}/bot")
            .base_file_url(f"{urls.telegram}/file/bot")
            .concurrent_updates(processor)
            .build()
        )
        application.bot_data["http"] = http
        application.add_handler(CommandHandler("task", _task_command))
        async with running(application, long_poll_timeout=_LONG_POLL_SECONDS):
            yield BenchBot(application, processor)


async def _task_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not context.args:
        return

    http: httpx.AsyncClient = context.application.bot_data["http"]
    response = await http.post(_TASKS_URL_PATH, json={"id": context.args[0], "action": "retrieve"})
    task = parse_task(response.json())
    if task is None or not task.images:
        await message.reply_text("not finished")
        return

    await message.reply_photo(task.images[0].url, caption=task.prompt)
