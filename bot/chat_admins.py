"""The check of who may change what a whole chat shares, such as its watch list or its language."""

from __future__ import annotations

import logging

from telegram import Message
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

logger = logging.getLogger(__name__)


async def is_chat_admin(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Tell whether the sender may change what the whole chat shares: anyone in a private
    chat, and the owner and administrators of a group, anonymous administrators included."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    # An anonymous administrator's message is sent on behalf of the group itself.
    if message.sender_chat is not None and message.sender_chat.id == message.chat_id:
        return True
    if message.from_user is None:
        return False

    try:
        member = await context.bot.get_chat_member(message.chat_id, message.from_user.id)
    except TelegramError as error:
        logger.warning(
            "Could not check whether user %s administers chat %s: %s",
            message.from_user.id, message.chat_id, error,
        )
        return False
    return member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
