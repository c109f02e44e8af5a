"""Running the Application with long polling until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from telegram import Update
from telegram.ext import Application

logger = logging.getLogger(__name__)

# Seconds one getUpdates request waits on the Bot API server for new updates.
LONG_POLL_TIMEOUT_SECONDS = 30


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
        )
        await application.start()
        try:
            yield application
        finally:
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
                if application.post_stop:
                    await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


async def run_until_stopped(application: Application) -> None:
    """Run the application until the process gets SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)

    async with running(application):
        await stop.wait()
        logger.info("Stop signal received, shutting down")
