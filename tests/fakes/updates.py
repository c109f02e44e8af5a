"""Builders of Bot API updates shaped as Telegram sends them."""

from __future__ import annotations

import itertools
import time
from typing import Any

_message_ids = itertools.count(1)

ALICE = 1111
BOB = 2222


def user(
    user_id: int, first_name: str = "Tester", *, language_code: str | None = "en"
) -> dict[str, Any]:
    """Return a user object. `language_code` is the IETF tag of the user's Telegram app, and
    None leaves the field out, as Telegram does when the app did not report it."""
    body: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code is not None:
        body["language_code"] = language_code
    return body


def private_chat(user_id: int = ALICE) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": "Tester"}


def group_chat(chat_id: int = -4001) -> dict[str, Any]:
    return {"id": chat_id, "type": "group", "title": "Team"}


def supergroup_chat(chat_id: int = -1001234567890, *, forum: bool = False) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": chat_id, "type": "supergroup", "title": "Team"}
    if forum:
        chat["is_forum"] = True
    return chat


def message(
    text: str,
    *,
    chat: dict[str, Any] | None = None,
    from_user: int = ALICE,
    thread_id: int | None = None,
    message_id: int | None = None,
    language_code: str | None = "en",
) -> dict[str, Any]:
    """Return a message object; a leading /command gets its bot_command entity."""
    chat = chat or private_chat(from_user)
    body: dict[str, Any] = {
        "message_id": message_id if message_id is not None else next(_message_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": user(from_user, language_code=language_code),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        body["entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}
        ]
    if thread_id is not None:
        body["message_thread_id"] = thread_id
        body["is_topic_message"] = True
    return body


def message_update(text: str, **options: Any) -> dict[str, Any]:
    return {"message": message(text, **options)}
