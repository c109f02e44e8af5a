"""Waiting, with a deadline, until the fake Bot API has received the expected messages."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

from bench.fakes import FakeServers

_CHECK_EVERY_SECONDS = 0.2


async def first_messages_to(
    fakes: FakeServers, chat_ids: Collection[int], *, since: int, timeout: float
) -> dict[int, dict[str, Any]]:
    """Wait until each chat got a message that Telegram accepted; return the first of each.

    Raises TimeoutError, naming how many chats got none, when `timeout` seconds pass first.
    """
    wanted = set(chat_ids)
    first: dict[int, dict[str, Any]] = {}
    try:
        async with asyncio.timeout(timeout):
            while True:
                for message in await fakes.request("messages", since=since):
                    chat_id = message["chat_id"]
                    if message["ok"] and chat_id in wanted and chat_id not in first:
                        first[chat_id] = message
                if len(first) == len(wanted):
                    return first
                await asyncio.sleep(_CHECK_EVERY_SECONDS)
    except TimeoutError:
        raise TimeoutError(
            f"{len(wanted) - len(first)} of {len(wanted)} chats got no message in {timeout:g} s"
        ) from None
