"""Access control: only the operator's chats may use the bot when a list of chats is set."""

from __future__ import annotations

import logging
from collections import OrderedDict

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

logger = logging.getLogger(__name__)

# How many refused chats the gate remembers, so that each gets its refusal once.
_MAX_REMEMBERED_CHATS = 10_000


class AccessGate:
    """Stops every update from a chat outside `allowed_chat_ids` before any handler runs.

    An empty set lets every chat in. A refused chat gets one short message, the first time it
    sends a command, that names its chat id so the operator can add it.
    """

    def __init__(self, allowed_chat_ids: frozenset[int]) -> None:
        self._allowed_chat_ids = allowed_chat_ids
        self._refused_chats: OrderedDict[int, None] = OrderedDict()

    def allows(self, chat_id: int | None) -> bool:
        if not self._allowed_chat_ids:
            return True
        return chat_id is not None and chat_id in self._allowed_chat_ids

    async def check_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            return

        chat = update.effective_chat
        if self.allows(chat.id if chat else None):
            return

        message = update.effective_message
        is_command = bool(message and message.text and message.text.startswith("/"))
        if chat is not None and is_command and chat.id not in self._refused_chats:
            self._remember_refusal(chat.id)
            logger.info("Refused chat %s: not in ALLOWED_CHAT_IDS", chat.id)
            try:
                await context.bot.send_message(
                    chat_id=chat.id,
                    message_thread_id=message.message_thread_id
                    if message and message.is_topic_message
                    else None,
                    text=(
                        "This bot serves only its operator's chats. "
                        f"This chat's id is <code>{chat.id}</code>."
                    ),
                    parse_mode=ParseMode.HTML,
                )
            except TelegramError as error:
                logger.info("Refusal to chat %s was not delivered: %s", chat.id, error)
        raise ApplicationHandlerStop

    def _remember_refusal(self, chat_id: int) -> None:
        self._refused_chats[chat_id] = None
        if len(self._refused_chats) > _MAX_REMEMBERED_CHATS:
            self._refused_chats.popitem(last=False)
