"""Reading Telegram's 400 errors: which album item failed, and which errors concern the chat.

python-telegram-bot strips the "Bad Request: " prefix from a description and capitalizes the
rest, so these checks ignore case.
"""

from __future__ import annotations

import re

from telegram.error import TelegramError

# sendMediaGroup reports the first item Telegram rejected, counting from 1:
# `failed to send message #2 with the error message "..."`.
_ALBUM_ITEM = re.compile(r"failed to send message #(\d+)", re.IGNORECASE)

# A flood wait can also arrive inside a 400, for an album item: `... retry after 7`.
_RETRY_AFTER = re.compile(r"retry after (\d+)", re.IGNORECASE)

# 400 errors about the chat or the forum topic rather than the content: sending the same
# image another way fails in the same way, so the caller has to act on them.
_CHAT_ERRORS = (
    "chat not found",
    "message thread not found",
    "topic_closed",
    "topic_deleted",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "chat_write_forbidden",
    "chat_restricted",
    "peer_id_invalid",
)


def failed_album_item(error: TelegramError) -> int | None:
    """Return the 0-based position of the album item that `error` names, or None."""
    match = _ALBUM_ITEM.search(error.message)
    if match is None or int(match.group(1)) < 1:
        return None
    return int(match.group(1)) - 1


def flood_wait_seconds(error: TelegramError) -> int | None:
    """Return the seconds of a flood wait reported inside a 400's description, or None."""
    match = _RETRY_AFTER.search(error.message)
    return int(match.group(1)) if match else None


def is_entity_error(error: TelegramError) -> bool:
    """Return whether Telegram could not parse the markup of a text or caption."""
    return "can't parse entities" in error.message.lower()


def is_chat_error(error: TelegramError) -> bool:
    """Return whether `error` concerns the chat or topic, so that no other content would help."""
    message = error.message.lower()
    return any(phrase in message for phrase in _CHAT_ERRORS)
