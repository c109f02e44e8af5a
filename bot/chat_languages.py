"""The language of the bot's replies in a chat: the language the chat chose with /lang, else
the sender's Telegram language, else English."""

from __future__ import annotations

import logging
import sqlite3

from telegram import User

from bot.i18n import Translator, resolve_language, translator
from bot.services import Services

logger = logging.getLogger(__name__)


async def translator_for(services: Services, chat_id: int | None, user: User | None) -> Translator:
    """Return the translator for a reply to `user` in the chat `chat_id`.

    When the database cannot be read, the sender's Telegram language decides, so that
    replies that need no database, such as /help and the error notice, still work.
    """
    chosen = None
    if chat_id is not None:
        try:
            chosen = await services.store.chat_language(chat_id)
        except (sqlite3.Error, ValueError) as error:
            # aiosqlite raises ValueError once its connection is closed.
            logger.warning("Reading the language of chat %s failed: %s", chat_id, error)
    return translator(resolve_language(chosen, user.language_code if user else None))
