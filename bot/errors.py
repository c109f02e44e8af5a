"""The application's error handler: logs each unexpected exception once and notifies the chat."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.chat_languages import translator_for
from bot.i18n import resolve_language, translator
from bot.ids import parse_task_ids
from bot.services import find_services

logger = logging.getLogger(__name__)


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log an exception that a handler or job did not handle, with the chat id and task ids."""
    error = context.error
    chat_id = None
    task_ids: list[str] = []
    message = None
    if isinstance(update, Update):
        chat_id = update.effective_chat.id if update.effective_chat else None
        message = update.effective_message
        if message is not None and message.text:
            task_ids = parse_task_ids(message.text).valid

    logger.error(
        "Unhandled %s in chat %s, tasks [%s]",
        type(error).__name__,
        chat_id,
        ", ".join(task_ids),
        exc_info=error,
    )

    if not isinstance(update, Update) or message is None or isinstance(error, Forbidden):
        return
    user = update.effective_user
    services = find_services(context.application.bot_data)
    if services is None:
        t = translator(resolve_language(user.language_code if user else None))
    else:
        t = await translator_for(services, chat_id, user)
    try:
        await message.reply_text(
            t.gettext(
                "Sorry, something went wrong while handling this message. "
                "Please try again later."
            ),
            do_quote=False,
        )
    except TelegramError as reply_error:
        logger.info("Error notice to chat %s was not delivered: %s", chat_id, reply_error)

