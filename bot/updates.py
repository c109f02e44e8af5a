"""Update processing: different chats in parallel, each chat's updates in order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates handled at the same time across all chats.
MAX_CONCURRENT_UPDATES = 64

# Updates accepted at once, most of them waiting for their chat's turn. The base class bounds
# these with its own semaphore; a bound this high keeps one chat's backlog from filling it.
_MAX_ACCEPTED_UPDATES = 4096


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Processes updates of different chats concurrently and those of one chat one at a time.

    In a busy group, a slow /batch then delays only that group, and two commands of one chat
    (such as /watch then /unwatch) take effect in the order they were sent.
    """

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(_MAX_ACCEPTED_UPDATES)
        self._running = asyncio.Semaphore(max_concurrent_updates)
        self._chat_locks: dict[int | None, asyncio.Lock] = {}
        self._waiting: dict[int | None, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat_id = _chat_id(update)
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        self._waiting[chat_id] = self._waiting.get(chat_id, 0) + 1
        try:
            async with lock, self._running:
                await coroutine
        finally:
            self._waiting[chat_id] -= 1
            if self._waiting[chat_id] == 0:
                # The last user of this chat's lock removes it, so idle chats cost nothing.
                del self._waiting[chat_id]
                del self._chat_locks[chat_id]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _chat_id(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None
