"""Wiring: settings in, a python-telegram-bot Application with its handlers out."""

from __future__ import annotations

import logging

import httpx
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.access import AccessGate
from bot.client import TaskClient
from bot.deliver import Delivery
from bot.download import ImageDownloader, new_download_client
from bot.errors import error_handler
from bot.flood import build_rate_limiter
from bot.handlers import (
    batch_command,
    help_command,
    pasted_ids_message,
    task_command,
    unknown_command,
)
from bot.jobs import poll_job
from bot.poller import Poller
from bot.runner import add_before_stop
from bot.services import Services, find_services, store_services
from bot.settings import Settings
from bot.storage import WatchStore
from bot.updates import PerChatUpdateProcessor
from bot.watch_handlers import (
    bot_membership_changed,
    chat_migrated,
    stop_watching_button,
    unwatch_command,
    watch_command,
    watches_command,
)
from bot.watching import STOP_WATCHING_PATTERN

logger = logging.getLogger(__name__)

# Handlers of group -1 run before all others: the access gate stops refused chats there.
_ACCESS_GROUP = -1


def build_application(
    settings: Settings, update_processor: BaseUpdateProcessor | None = None
) -> Application:
    """Build the bot's Application; its services start in post_init and stop in post_shutdown.

    `update_processor` replaces the default PerChatUpdateProcessor; the tests pass a subclass
    that reports when each update has been handled.
    """
    root = settings.telegram_api_base_url
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .concurrent_updates(update_processor or PerChatUpdateProcessor())
        .read_timeout(settings.telegram_timeout_seconds)
        .write_timeout(settings.telegram_timeout_seconds)
        .media_write_timeout(settings.telegram_timeout_seconds)
        .rate_limiter(
            build_rate_limiter(
                settings.telegram_messages_per_second, settings.telegram_group_messages_per_minute
            )
        )
        .post_init(_start_services)
        .post_shutdown(_stop_services)
        .build()
    )
    application.bot_data["settings"] = settings
    _add_handlers(application, settings)
    add_before_stop(application, _stop_polling)
    return application


def _add_handlers(application: Application, settings: Settings) -> None:
    gate = AccessGate(
        settings.allowed_chat_ids, settings.allowed_user_ids, settings.user_commands_per_minute
    )
    application.add_handler(TypeHandler(object, gate.check_update), group=_ACCESS_GROUP)

    # Edited messages are ignored, because replying to an edit would repeat a reply in the chat.
    new_messages = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE
    application.add_handlers(
        [
            CommandHandler(("start", "help"), help_command, filters=new_messages),
            CommandHandler("task", task_command, filters=new_messages),
            CommandHandler("batch", batch_command, filters=new_messages),
            CommandHandler("watch", watch_command, filters=new_messages),
            CommandHandler("unwatch", unwatch_command, filters=new_messages),
            CommandHandler("watches", watches_command, filters=new_messages),
            CallbackQueryHandler(stop_watching_button, pattern=STOP_WATCHING_PATTERN),
            MessageHandler(filters.StatusUpdate.MIGRATE, chat_migrated),
            ChatMemberHandler(bot_membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
            MessageHandler(new_messages & private & filters.COMMAND, unknown_command),
            MessageHandler(new_messages & private & filters.TEXT, pasted_ids_message),
        ]
    )
    application.add_error_handler(error_handler)


async def _start_services(application: Application) -> None:
    settings: Settings = application.bot_data["settings"]
    store = await WatchStore.open(settings.database_path)
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.api_timeout_seconds, connect=min(10.0, settings.api_timeout_seconds)
        ),
        follow_redirects=False,
    )
    tasks = TaskClient(
        http,
        settings.acedata_api_base_url,
        settings.acedata_api_token.get_secret_value(),
        chunk_size=settings.api_chunk_size,
        concurrent_calls=settings.api_concurrent_calls,
        max_attempts=settings.api_max_attempts,
        max_retry_wait=settings.api_retry_max_wait_seconds,
    )
    downloads = new_download_client()
    delivery = Delivery(application.bot, ImageDownloader(downloads))
    poller = Poller(
        store,
        tasks,
        delivery,
        watch_timeout_seconds=settings.watch_timeout_hours * 3600,
        poll_interval_seconds=settings.poll_interval_seconds,
    )
    store_services(
        application.bot_data,
        Services(
            settings=settings,
            http=http,
            tasks=tasks,
            delivery=delivery,
            downloads=downloads,
            store=store,
            poller=poller,
        ),
    )

    assert application.job_queue is not None
    application.job_queue.run_repeating(
        poll_job,
        interval=settings.poll_interval_seconds,
        first=0,
        name="poll",
        job_kwargs={"coalesce": True, "misfire_grace_time": None},
    )
    logger.info(
        "Bot @%s started; %d open watches, polling every %g s",
        application.bot.username,
        await store.count_open(),
        settings.poll_interval_seconds,
    )


async def _stop_polling(application: Application) -> None:
    services = find_services(application.bot_data)
    if services is not None:
        await services.poller.close()


async def _stop_services(application: Application) -> None:
    services = find_services(application.bot_data)
    if services is not None:
        await services.poller.close()
        await services.store.close()
        await services.http.aclose()
        await services.downloads.aclose()
    logger.info("Bot stopped")
