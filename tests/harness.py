"""Runs the real bot Application in the test's event loop against the fake servers."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.runner import running
from bot.services import Services, find_services
from bot.settings import Settings
from bot.updates import PerChatUpdateProcessor
from bot.webhook import webhook_of
from tests.fakes.task_api import FakeTaskApi
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.updates import message_update

BOT_TOKEN = "123456789:TEST-bot-token_abcdefghijklmnopqrstuvwx"
API_TOKEN = "acedata-test-token-0123456789abcdef"


class ObservedUpdateProcessor(PerChatUpdateProcessor):
    """The bot's own processor, reporting when each update's handlers have all returned."""

    def __init__(self) -> None:
        super().__init__()
        self.handled: defaultdict[int, asyncio.Event] = defaultdict(asyncio.Event)

    async def do_process_update(self, update: object, coroutine: Any) -> None:
        try:
            await super().do_process_update(update, coroutine)
        finally:
            if isinstance(update, Update):
                self.handled[update.update_id].set()


def make_settings(telegram: FakeTelegram, task_api: FakeTaskApi, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": BOT_TOKEN,
        "acedata_api_token": API_TOKEN,
        "telegram_api_base_url": telegram.base_url,
        "acedata_api_base_url": task_api.base_url,
        "api_timeout_seconds": 5,
        "api_retry_max_wait_seconds": 0.01,
        # The tests run the poll cycles they need themselves, after the one at start.
        "poll_interval_seconds": 3600,
        "telegram_messages_per_second": 1000,
        "telegram_group_messages_per_minute": 1000,
        "user_commands_per_minute": 1000,
        "log_level": "DEBUG",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class BotHarness:
    """Starts the application as run_polling or run_webhook does, without taking over the
    event loop."""

    def __init__(self, telegram: FakeTelegram, task_api: FakeTaskApi, settings: Settings) -> None:
        self.telegram = telegram
        self.task_api = task_api
        self.settings = settings
        self.processor = ObservedUpdateProcessor()
        self.application: Application = build_application(settings, self.processor)
        self.errors: list[BaseException] = []
        self.webhook = webhook_of(settings)
        self._running = running(self.application, long_poll_timeout=5, webhook=self.webhook)

    @property
    def services(self) -> Services:
        services = find_services(self.application.bot_data)
        assert services is not None
        return services

    async def start(self) -> None:
        self.application.add_error_handler(self._record_error)
        await self._running.__aenter__()
        # The cycle the bot runs at start ends before a test goes on.
        await self.services.poller.wait_for_requested()

    async def stop(self) -> None:
        await self._running.__aexit__(None, None, None)

    async def send(self, update: dict[str, Any], timeout: float = 10.0) -> int:
        """Push an update to the fake server and wait until the bot has handled it."""
        update_id = await self.telegram.push_update(update)
        async with asyncio.timeout(timeout):
            await self.processor.handled[update_id].wait()
            # A poll cycle that the update requested, such as after /watch, ends first too.
            await self.services.poller.wait_for_requested()
        return update_id

    async def command(self, text: str, timeout: float = 10.0, **options: Any) -> int:
        return await self.send(message_update(text, **options), timeout=timeout)

    async def _record_error(self, update: object, context: Any) -> None:
        self.errors.append(context.error)


@contextlib.asynccontextmanager
async def started_bot(
    telegram: FakeTelegram, task_api: FakeTaskApi, **settings: Any
) -> AsyncIterator[BotHarness]:
    """Run a bot with these settings for the block; fail if a handler raised unhandled."""
    harness = BotHarness(telegram, task_api, make_settings(telegram, task_api, **settings))
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
    assert not harness.errors, f"unhandled errors in the bot: {harness.errors!r}"
