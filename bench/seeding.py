"""Filling a fresh database with open watches, as many commands over time would have."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from bench.workload import private_chat_id, task_id
from bot.storage import WatchStore

# Watches of one chat in the seeded databases; the bot's default WATCH_LIMIT_PER_CHAT.
WATCHES_PER_CHAT = 100


async def create_database(path: Path) -> None:
    """Create the database with the bot's own schema and migrations."""
    store = await WatchStore.open(path)
    await store.close()


def insert_watches(
    path: Path, watches: Iterable[tuple[int, int]], *, added_at: float | None = None
) -> int:
    """Insert open watches given as (chat id, task number); return how many.

    Rows go in with one executemany in one transaction, because seeding is set-up and not
    part of any measure.
    """
    added_at = time.time() if added_at is None else added_at
    rows = [
        (chat_id, task_id(number), chat_id if chat_id > 0 else None, added_at, number + 1)
        for chat_id, number in watches
    ]
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT INTO watches (chat_id, thread_id, task_id, added_by, added_at, "
            "source_message_id) VALUES (?, 0, ?, ?, ?, ?)",
            rows,
        )
    connection.close()
    return len(rows)


def spread_over_chats(first: int, count: int, first_chat: int = 0) -> list[tuple[int, int]]:
    """Return (chat id, task number) pairs: tasks `first` onwards, `WATCHES_PER_CHAT` a chat.

    Chats are private chats numbered from `first_chat` onwards.
    """
    return [
        (private_chat_id(first_chat + offset // WATCHES_PER_CHAT), first + offset)
        for offset in range(count)
    ]
