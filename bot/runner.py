"""Running the Application with long polling or a webhook until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable

from telegram import Update
from telegram.error import BadRequest, Conflict, TelegramError
from telegram.ext import Application, Updater

from bot.listening import ListenError
from bot.webhook import Webhook, WebhookRejectedError

logger = logging.getLogger(__name__)

# Seconds one getUpdates request waits on the Bot API server for new updates.
LONG_POLL_TIMEOUT_SECONDS = 30


_AFTER_START_KEY = "after_start_hooks"
_BEFORE_STOP_KEY = "before_stop_hooks"

Hook = Callable[[Application], Awaitable[None]]


def add_after_start(application: Application, hook: Hook) -> None:
    """Run `hook` once the application and its JobQueue have started."""
    application.bot_data.setdefault(_AFTER_START_KEY, []).append(hook)


def add_before_stop(application: Application, hook: Hook) -> None:
    """Run `hook` when the bot stops, after updates stop arriving and before the application
    and its JobQueue stop, which wait for running jobs to end."""
    application.bot_data.setdefault(_BEFORE_STOP_KEY, []).append(hook)


@contextlib.asynccontextmanager
async def running(
    application: Application,
    *,
    long_poll_timeout: float = LONG_POLL_TIMEOUT_SECONDS,
    webhook: Webhook | None = None,
) -> AsyncIterator[Application]:
    """Start the application and its updates, and stop both in order on exit.

    Updates come by long polling, or by `webhook` when one is given. This is the sequence of
    Application.run_polling and run_webhook without their hold on the event loop, so that
    start-up errors such as a rejected token reach the caller as exceptions.
    """
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        assert application.updater is not None
        if webhook is None:
            await application.updater.start_polling(
                poll_interval=0,
                timeout=int(long_poll_timeout),
                allowed_updates=Update.ALL_TYPES,
                error_callback=log_polling_error,
            )
            logger.info("Receiving updates by long polling")
        else:
            await _start_webhook(application.updater, webhook)
        await application.start()
        try:
            for hook in application.bot_data.get(_AFTER_START_KEY, []):
                await hook(application)
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


async def _start_webhook(updater: Updater, webhook: Webhook) -> None:
    """Register the webhook with Telegram (setWebhook) and start its listener.

    python-telegram-bot's listener responds with HTTP 403 to a request without the secret
    token in its X-Telegram-Bot-Api-Secret-Token header, or with another one.
    """
    # start_webhook calls setWebhook too, but logs a rejection with a traceback. Calling it
    # first turns a rejected URL into one line that names WEBHOOK_URL.
    try:
        await updater.bot.set_webhook(
            url=webhook.url,
            secret_token=webhook.secret_token,
            allowed_updates=Update.ALL_TYPES,
        )
    except BadRequest as error:
        raise WebhookRejectedError(webhook.url, error.message) from None

    try:
        await updater.start_webhook(
            listen=webhook.listen,
            port=webhook.port,
            url_path=webhook.path,
            webhook_url=webhook.url,
            secret_token=webhook.secret_token,
            allowed_updates=Update.ALL_TYPES,
        )
    except OSError as error:
        # NOTE: Telegram keeps posting to the registered URL, which no listener serves until
        # the next start. Telegram keeps the updates meanwhile.
        raise ListenError("webhook", "WEBHOOK_PORT", webhook.listen, webhook.port, error) from None

    logger.info(
        "Receiving updates by webhook at %s; listening on %s port %d, path %s",
        webhook.url, webhook.listen, webhook.port, webhook.path,
    )
    if webhook.secret_generated:
        logger.info(
            "WEBHOOK_SECRET_TOKEN is not set, so a random secret token was generated for this "
            "run and registered with setWebhook"
        )


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


async def run_until_stopped(application: Application, webhook: Webhook | None = None) -> None:
    """Run the application until the process gets SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)

    async with running(application, webhook=webhook):
        await stop.wait()
        logger.info("Stop signal received, shutting down")
