"""Wiring: settings in, a python-telegram-bot Application with its handlers out."""

from __future__ import annotations

import logging

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
from bot.callbacks import CallbackListener, callback_secret
from bot.client import TaskClient
from bot.connections import bot_api_urls, new_acedata_api
from bot.create_handlers import edit_command, imagine_command
from bot.deliver import Delivery
from bot.download import ImageDownloader, new_download_client
from bot.errors import error_handler
from bot.flood import build_rate_limiter
from bot.health_server import HealthServer
from bot.images_api import ImagesClient
from bot.handlers import (
    batch_command,
    help_command,
    pasted_ids_message,
    task_command,
    unknown_command,
)
from bot.jobs import poll_job
from bot.language_handlers import language_command
from bot.menus import register_command_menus
from bot.poll_summary import PollSummary
from bot.poller import Poller
from bot.refresh import refresh_button
from bot.runner import add_after_start, add_before_stop
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
from bot.watching import REFRESH_PATTERN, STOP_WATCHING_PATTERN

logger = logging.getLogger(__name__)

# Handlers of group -1 run before all others: the access gate stops refused chats there.
_ACCESS_GROUP = -1

_HEALTH_SERVER_KEY = "health_server"


def build_application(
    settings: Settings, update_processor: BaseUpdateProcessor | None = None
) -> Application:
    """Build the bot's Application; its services start in post_init and stop in post_shutdown.

    `update_processor` replaces the default PerChatUpdateProcessor; the tests pass a subclass
    that reports when each update has been handled.
    """
    base_url, base_file_url = bot_api_urls(settings)
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(base_url)
        .base_file_url(base_file_url)
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
    add_after_start(application, _poll_at_start)
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
            CommandHandler("imagine", imagine_command, filters=new_messages),
            CommandHandler("edit", edit_command, filters=new_messages),
            CommandHandler("lang", language_command, filters=new_messages),
            CallbackQueryHandler(stop_watching_button, pattern=STOP_WATCHING_PATTERN),
            CallbackQueryHandler(refresh_button, pattern=REFRESH_PATTERN),
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
    http, api = new_acedata_api(settings)
    tasks = TaskClient(
        api,
        chunk_size=settings.api_chunk_size,
        concurrent_calls=settings.api_concurrent_calls,
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
    callbacks, callback_url = await _start_callbacks(settings, poller)
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
            images=ImagesClient(api),
            callback_url=callback_url,
            callbacks=callbacks,
        ),
    )

    _schedule_polling(application, settings)
    await register_command_menus(application.bot, settings.batch_max_ids, settings.allow_create)
    if settings.health_port is not None:
        health_server = HealthServer(application)
        await health_server.start(settings.health_listen, settings.health_port)
        application.bot_data[_HEALTH_SERVER_KEY] = health_server
    if settings.allow_create and not (settings.allowed_user_ids or settings.allowed_chat_ids):
        logger.warning(
            "ALLOW_CREATE is on while ALLOWED_USER_IDS and ALLOWED_CHAT_IDS are empty: anyone "
            "who finds the bot can spend your credit, up to %d images a day each",
            settings.create_images_per_user_per_day,
        )
    logger.info(
        "Bot @%s started; open watches: %d; polling every %g s",
        application.bot.username,
        await store.count_open(),
        settings.poll_interval_seconds,
    )


def _schedule_polling(application: Application, settings: Settings) -> None:
    summary = None
    if settings.log_summary_every_cycles:
        summary = PollSummary(settings.log_summary_every_cycles)

    assert application.job_queue is not None
    application.job_queue.run_repeating(
        poll_job,
        interval=settings.poll_interval_seconds,
        first=settings.poll_interval_seconds,
        name="poll",
        data=summary,
        job_kwargs={"coalesce": True, "misfire_grace_time": None},
    )


async def _start_callbacks(
    settings: Settings, poller: Poller
) -> tuple[CallbackListener | None, str | None]:
    """Start the callback listener when creating is on and CREATE_CALLBACK_URL is set."""
    if not settings.allow_create or settings.create_callback_url is None:
        return None, None

    secret = callback_secret(settings.telegram_bot_token.get_secret_value())
    listener = CallbackListener(
        poller.check_now,
        secret,
        listen=settings.create_callback_listen,
        port=settings.create_callback_port,
    )
    await listener.start()
    return listener, f"{settings.create_callback_url}/{secret}"


async def _poll_at_start(application: Application) -> None:
    # The repeating job's first run comes one interval after start, because APScheduler
    # skips a first run time that passed before the JobQueue started. Watches that finished
    # while the bot was down are delivered now instead.
    services = find_services(application.bot_data)
    if services is not None:
        services.poller.request_cycle()


async def _stop_polling(application: Application) -> None:
    services = find_services(application.bot_data)
    if services is not None:
        await services.poller.close()


async def _stop_services(application: Application) -> None:
    health_server = application.bot_data.pop(_HEALTH_SERVER_KEY, None)
    if isinstance(health_server, HealthServer):
        await health_server.stop()
    services = find_services(application.bot_data)
    if services is not None:
        if services.callbacks is not None:
            await services.callbacks.stop()
        await services.poller.close()
        await services.store.close()
        await services.http.aclose()
        await services.downloads.aclose()
        logger.info("Bot stopped")
