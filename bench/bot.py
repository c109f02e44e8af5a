"""The real bot Application, run in this process against the fakes' process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bench.fakes import FakeUrls
from bench.workload import API_TOKEN, BOT_TOKEN
from bot.app import build_application
from bot.runner import running
from bot.services import Services, find_services
from bot.settings import Settings
from tests.harness import ObservedUpdateProcessor

# Seconds one getUpdates request waits on the fake; short, so that the bot stops quickly.
_LONG_POLL_SECONDS = 5


class BenchBot:
    """A started bot: its Application, services, and which updates it has handled."""

    def __init__(self, application: Application, processor: ObservedUpdateProcessor) -> None:
        self.application = application
        self.processor = processor

    @property
    def services(self) -> Services:
        services = find_services(self.application.bot_data)
        if services is None:
            raise RuntimeError("the bot's services are not started")
        return services

    async def wait_handled(self, update_id: int, timeout: float) -> None:
        """Wait until the handlers of one update have all returned."""
        async with asyncio.timeout(timeout):
            await self.processor.handled[update_id].wait()


def bench_settings(urls: FakeUrls, database_path: Path, **overrides: Any) -> Settings:
    """Return the bot's default settings, pointed at the fakes, with `overrides` applied."""
    values: dict[str, Any] = {
        "telegram_bot_token": BOT_TOKEN,
        "acedata_api_token": API_TOKEN,
        "telegram_api_base_url": urls.telegram,
        "acedata_api_base_url": urls.task_api,
        "database_path": database_path,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@contextlib.asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[BenchBot]:
    """Start the bot as run_polling does, and stop it in order when the block ends."""
    processor = ObservedUpdateProcessor()
    application = build_application(settings, processor)
    async with running(application, long_poll_timeout=_LONG_POLL_SECONDS):
        bot = BenchBot(application, processor)
        # The bot runs a poll cycle at start; the measures begin after it.
        services = find_services(application.bot_data)
        if services is not None:
            await services.poller.wait_for_requested()
        yield bot
