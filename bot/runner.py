"""Running the Application with long polling until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable

from telegram import Update
from telegram.error import Conflict, TelegramError
from telegram.ext import Application

logger = logging.getLogger(__name__)

# Seconds one getUpdates request waits on the Bot API server for new updates.
LONG_POLL_TIMEOUT_SECONDS = 30


_BEFORE_STOP_KEY = "before_stop_hooks"

StopHook = Callable[[Application], Awaitable[None]]


def add_before_stop(application: Application, hook: StopHook) -> None:
    """Run `hook` when the bot stops, after updates stop arriving and before the application
    and its JobQueue stop, which wait for running jobs to end."""
    application.bot_data.setdefault(_BEFORE_STOP_KEY, []).append(hook)


@contextlib.asynccontextmanager
async def running(
    application: Application, *, long_poll_timeout: float = LONG_POLL_TIMEOUT_SECONDS
) -> AsyncIterator[Application]:
    """Start the application and its long polling, and stop both in order on exit.

    This is the sequence of Application.run_polling without its hold on the event loop, so
    that start-up errors such as a rejected token reach the caller as exceptions.
    """
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0,
            timeout=int(long_poll_timeout),
            allowed_updates=Update.ALL_TYPES,
            error_callback=log_polling_error,
        )
        await application.start()
        try:
            yield application
        finally:
            if application.updater.running:
                await application.updater.stop()
            for hook in application.bot_data.get(_BEFORE_STOP_KEY, []):
                await hook(application)
            if application.running:
                await application.stop()
                if application.post_stop:
                    await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


def log_polling_error(error: TelegramError) -> None:
    """Log a failed getUpdates; python-telegram-bot tries again by itself."""
    if isinstance(error, Conflict):
        # Telegram ends one of two getUpdates requests made with the same token at once.
        logger.error(
            "%s. Another process is polling with this bot token: stop it, because two bots "
            "would answer every command twice.",
            error.message,
        )
    else:
        logger.warning("Polling for updates failed: %s", error)


async def run_until_stopped(application: Application) -> None:
    """Run the application until the process gets SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)

    async with running(application):
        await stop.wait()
        logger.info("Stop signal received, shutting down")
