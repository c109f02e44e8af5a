"""/lang: show or choose the language of the bot's replies in a chat."""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.chat_admins import is_chat_admin
from bot.handlers import command_argument, destination_of
from bot.i18n import normalize_language, resolve_language, translator
from bot.language_texts import (
    language_admins_only_text,
    language_auto_text,
    language_set_text,
    language_status_text,
    unknown_language_text,
)
from bot.services import services_of

logger = logging.getLogger(__name__)

# The argument of /lang that clears the chat's choice, so that each sender's Telegram
# language decides again.
AUTO = "auto"


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the chat's language, or set it with `/lang en`, `/lang zh` or `/lang auto`.

    In groups only administrators, anonymous ones included, may change it, as with
    `/unwatch all`, because the language applies to every member and every notification.
    """
    message = update.effective_message
    if message is None:
        return

    services = services_of(context)
    destination = destination_of(message)
    reply_to = message.message_id
    user_language = message.from_user.language_code if message.from_user else None
    chosen = await services.store.chat_language(message.chat_id)
    t = translator(resolve_language(chosen, user_language))
    argument = command_argument(message).strip()

    if not argument:
        text = language_status_text(t, chosen, in_group=message.chat.type != ChatType.PRIVATE)
        await services.delivery.send_text(destination, text, reply_to=reply_to)
        return

    language = None if argument.lower() == AUTO else normalize_language(argument)
    if language is None and argument.lower() != AUTO:
        await services.delivery.send_text(
            destination, unknown_language_text(t, argument), reply_to=reply_to
        )
        return
    if not await is_chat_admin(message, context):
        await services.delivery.send_text(
            destination, language_admins_only_text(t), reply_to=reply_to
        )
        return

    await services.store.set_chat_language(message.chat_id, language, time.time())
    logger.info("Chat %s: language set to %s", message.chat_id, language or AUTO)
    t = translator(resolve_language(language, user_language))
    text = language_auto_text(t) if language is None else language_set_text(t)
    await services.delivery.send_text(destination, text, reply_to=reply_to)
