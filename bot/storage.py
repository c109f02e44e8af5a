"""Watch lists in SQLite: which chat (and forum topic) waits for which task."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

logger = logging.getLogger(__name__)

# Milliseconds a write waits for another connection's lock before "database is locked".
_BUSY_TIMEOUT_MS = 5_000

# Host parameters in one `IN (...)` list, below SQLite's default limit of 999 before 3.32.
_MAX_IN_PARAMETERS = 500

# Each entry upgrades the schema by one version, recorded in PRAGMA user_version. Entries
# are never edited once released: a change of schema is a new entry at the end.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE watches (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        thread_id INTEGER NOT NULL DEFAULT 0,
        task_id TEXT NOT NULL,
        added_by INTEGER,
        added_at REAL NOT NULL,
        source_message_id INTEGER,
        state TEXT NOT NULL DEFAULT 'pending',
        misses INTEGER NOT NULL DEFAULT 0,
        failed_deliveries INTEGER NOT NULL DEFAULT 0,
        notified_at REAL,
        UNIQUE (chat_id, thread_id, task_id)
    );
    CREATE INDEX watches_open_by_task ON watches (task_id) WHERE notified_at IS NULL;
    CREATE INDEX watches_open_by_added_at ON watches (added_at) WHERE notified_at IS NULL;
    CREATE INDEX watches_by_chat ON watches (chat_id, notified_at);
    CREATE INDEX watches_closed_by_notified_at ON watches (notified_at)
        WHERE notified_at IS NOT NULL;
    """,
    """
    CREATE TABLE creation_usage (
        user_id INTEGER NOT NULL,
        day TEXT NOT NULL,
        images INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, day)
    );
    """,
    # The language a chat chose with /lang, and the language each watch was added in, which
    # its notifications use while the chat has chosen none.
    """
    CREATE TABLE chat_languages (
        chat_id INTEGER PRIMARY KEY,
        language TEXT NOT NULL,
        set_at REAL NOT NULL
    );
    ALTER TABLE watches ADD COLUMN language TEXT;
    """,
)

# Days of creation usage kept; older days are deleted when a new one is counted.
_USAGE_RETENTION_DAYS = 7

# Chats whose language the store keeps in memory, the least recently used dropped first.
_MAX_CACHED_LANGUAGES = 50_000

# Watch states. A watch is open until `notified_at` is set, whatever its state is.
PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"
NOT_FOUND = "not_found"
EXPIRED = "expired"
UNDELIVERABLE = "undeliverable"


@dataclass(frozen=True, slots=True)
class Watch:
    """One chat, or one forum topic of it, waiting for one task."""

    id: int
    chat_id: int
    thread_id: int | None
    task_id: str
    added_by: int | None
    added_at: float
    source_message_id: int | None
    state: str
    misses: int
    failed_deliveries: int
    notified_at: float | None
    # The language of the command that added the watch; None for watches added before the
    # bot recorded it.
    language: str | None = None


@dataclass(frozen=True, slots=True)
class AddResult:
    """What `add_watches` did with each task id, in the order given."""

    added: list[str]
    already_watched: list[str]
    over_limit: list[str]


_WATCH_COLUMNS = (
    "id, chat_id, thread_id, task_id, added_by, added_at, source_message_id, state, misses, "
    "failed_deliveries, notified_at, language"
)


class DatabaseInUseError(Exception):
    """Another process has the database open, and two pollers would notify every chat twice."""


class WatchStore:
    """The watches of every chat, in one SQLite database file shared by handlers and poller.

    One process at a time may open a database: it holds an exclusive lock on the file
    `<database>.lock` until it closes the store or exits.

    Handlers and the poller share one connection, and an open transaction on it takes in
    every statement until its COMMIT. So every write acquires `_write_lock`. Without it, a
    statement of another coroutine would run inside that transaction, and a second BEGIN
    would fail with "cannot start a transaction within a transaction".
    """

    def __init__(self, connection: aiosqlite.Connection, lock_fd: int) -> None:
        self._db = connection
        self._lock_fd = lock_fd
        self._write_lock = asyncio.Lock()
        self._chat_languages: OrderedDict[int, str | None] = OrderedDict()

    @classmethod
    async def open(cls, path: Path) -> WatchStore:
        """Open (or create) the database at `path` and upgrade its schema to the latest.

        Raises DatabaseInUseError when another process has it open.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        lock_fd = _lock_database(path)
        try:
            connection = await aiosqlite.connect(path, isolation_level=None)
        except BaseException:
            _unlock_database(lock_fd)
            raise
        try:
            await connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            await connection.execute("PRAGMA journal_mode = WAL")
            await connection.execute("PRAGMA synchronous = NORMAL")
            await _migrate(connection)
        except BaseException:
            await connection.close()
            _unlock_database(lock_fd)
            raise
        return cls(connection, lock_fd)

    async def close(self) -> None:
        try:
            await self._db.close()
        finally:
            if self._lock_fd >= 0:
                _unlock_database(self._lock_fd)
                self._lock_fd = -1

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # Adding and removing ----------------------------------------------------------------------

    async def add_watches(
        self,
        chat_id: int,
        thread_id: int | None,
        task_ids: Sequence[str],
        *,
        added_by: int | None,
        now: float,
        limit: int,
        source_message_id: int | None = None,
        language: str | None = None,
    ) -> AddResult:
        """Add a watch per task id unless this topic has it, keeping the chat under `limit`.

        The check and the inserts run in one transaction, so concurrent commands cannot take
        a chat past its limit, and a repeated update adds nothing.
        """
        added: list[str] = []
        already_watched: list[str] = []
        over_limit: list[str] = []
        thread_key = _thread_key(thread_id)

        async with self._transaction():
            open_count = await self._scalar(
                "SELECT COUNT(*) FROM watches WHERE chat_id = ? AND notified_at IS NULL",
                (chat_id,),
            )
            watched_here = await self._open_task_ids_of_topic(chat_id, thread_key, task_ids)
            for task_id in task_ids:
                if task_id in watched_here:
                    already_watched.append(task_id)
                elif open_count >= limit:
                    over_limit.append(task_id)
                else:
                    added.append(task_id)
                    watched_here.add(task_id)
                    open_count += 1

            # A closed watch of the same topic and task is opened again as new.
            await self._db.executemany(
                "INSERT INTO watches (chat_id, thread_id, task_id, added_by, added_at, "
                "source_message_id, language) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (chat_id, thread_id, task_id) DO UPDATE SET "
                "added_by = excluded.added_by, added_at = excluded.added_at, "
                "source_message_id = excluded.source_message_id, state = 'pending', "
                "misses = 0, failed_deliveries = 0, notified_at = NULL, "
                "language = excluded.language",
                [
                    (chat_id, thread_key, task_id, added_by, now, source_message_id, language)
                    for task_id in added
                ],
            )

        return AddResult(added=added, already_watched=already_watched, over_limit=over_limit)

    async def _open_task_ids_of_topic(
        self, chat_id: int, thread_key: int, task_ids: Iterable[str]
    ) -> set[str]:
        """Return which of these tasks the topic has an open watch of."""
        found: set[str] = set()
        for part in _parts(sorted(set(task_ids)), _MAX_IN_PARAMETERS):
            async with self._db.execute(
                "SELECT task_id FROM watches WHERE chat_id = ? AND thread_id = ? "
                f"AND notified_at IS NULL AND task_id IN ({_placeholders(len(part))})",
                (chat_id, thread_key, *part),
            ) as cursor:
                found.update(row[0] for row in await cursor.fetchall())
        return found

    async def remove_watches(self, chat_id: int, task_ids: Sequence[str]) -> list[str]:
        """Delete the chat's open watches of these tasks, in every topic; return the ids removed."""
        removed = []
        for task_id in task_ids:
            rowcount = await self._write(
                "DELETE FROM watches WHERE chat_id = ? AND task_id = ? AND notified_at IS NULL",
                (chat_id, task_id),
            )
            if rowcount:
                removed.append(task_id)
        return removed

    async def remove_all(self, chat_id: int, *, added_by: int | None = None) -> int:
        """Delete the chat's open watches, or only those `added_by` added; return how many."""
        if added_by is None:
            return await self._write(
                "DELETE FROM watches WHERE chat_id = ? AND notified_at IS NULL", (chat_id,)
            )
        return await self._write(
            "DELETE FROM watches WHERE chat_id = ? AND added_by = ? AND notified_at IS NULL",
            (chat_id, added_by),
        )

    async def remove_by_source(self, chat_id: int, source_message_id: int) -> list[str]:
        """Delete the open watches added by one command message; return their task ids."""
        rows = await self._write_returning(
            "DELETE FROM watches WHERE chat_id = ? AND source_message_id = ? "
            "AND notified_at IS NULL RETURNING task_id",
            (chat_id, source_message_id),
        )
        return [row[0] for row in rows]

    async def drop_chat(self, chat_id: int) -> int:
        """Delete every watch of a chat the bot can no longer write to; return how many."""
        return await self._write("DELETE FROM watches WHERE chat_id = ?", (chat_id,))

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """Move a group's watches and language to the supergroup it became; return how many
        watches moved.

        A watch the new chat already has for the same topic and task is kept once, and so is
        a language the new chat already has.
        """
        async with self._transaction():
            cursor = await self._db.execute(
                "UPDATE OR IGNORE watches SET chat_id = ? WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
            moved = cursor.rowcount
            await self._db.execute("DELETE FROM watches WHERE chat_id = ?", (old_chat_id,))
            await self._db.execute(
                "UPDATE OR IGNORE chat_languages SET chat_id = ? WHERE chat_id = ?",
                (new_chat_id, old_chat_id),
            )
            await self._db.execute("DELETE FROM chat_languages WHERE chat_id = ?", (old_chat_id,))
        self._chat_languages.pop(old_chat_id, None)
        self._chat_languages.pop(new_chat_id, None)
        return moved

    # Reading ------------------------------------------------------------------------------------

    async def open_watches_of_chat(self, chat_id: int) -> list[Watch]:
        """Return the chat's open watches, oldest first."""
        async with self._db.execute(
            f"SELECT {_WATCH_COLUMNS} FROM watches WHERE chat_id = ? AND notified_at IS NULL "
            "ORDER BY added_at, id",
            (chat_id,),
        ) as cursor:
            return [_watch(row) async for row in cursor]

    async def count_open(self, chat_id: int | None = None) -> int:
        """Return the number of open watches of one chat, or of all chats."""
        if chat_id is None:
            return await self._scalar("SELECT COUNT(*) FROM watches WHERE notified_at IS NULL")
        return await self._scalar(
            "SELECT COUNT(*) FROM watches WHERE chat_id = ? AND notified_at IS NULL", (chat_id,)
        )

    async def iter_open_task_ids(self, batch_size: int = 1000) -> AsyncIterator[list[str]]:
        """Yield the distinct task ids of open watches, `batch_size` at a time, in id order.

        Rows are read page by page with keyset pagination, so memory stays flat however many
        watches there are, and no read transaction stays open while the caller works.
        """
        last = ""
        while True:
            async with self._db.execute(
                "SELECT DISTINCT task_id FROM watches WHERE notified_at IS NULL AND task_id > ? "
                "ORDER BY task_id LIMIT ?",
                (last, batch_size),
            ) as cursor:
                task_ids = [row[0] for row in await cursor.fetchall()]
            if not task_ids:
                return
            yield task_ids
            last = task_ids[-1]

    async def open_watches_of_task(self, task_id: str) -> list[Watch]:
        async with self._db.execute(
            f"SELECT {_WATCH_COLUMNS} FROM watches WHERE task_id = ? AND notified_at IS NULL "
            "ORDER BY id",
            (task_id,),
        ) as cursor:
            return [_watch(row) async for row in cursor]

    async def open_watches_of_tasks(self, task_ids: Sequence[str]) -> list[Watch]:
        """Return the open watches of these tasks in the order they were added, by id."""
        watches: list[Watch] = []
        for part in _parts(task_ids, _MAX_IN_PARAMETERS):
            async with self._db.execute(
                f"SELECT {_WATCH_COLUMNS} FROM watches WHERE notified_at IS NULL "
                f"AND task_id IN ({_placeholders(len(part))})",
                tuple(part),
            ) as cursor:
                watches.extend([_watch(row) async for row in cursor])
        watches.sort(key=lambda watch: watch.id)
        return watches

    async def get_watch(self, watch_id: int) -> Watch | None:
        async with self._db.execute(
            f"SELECT {_WATCH_COLUMNS} FROM watches WHERE id = ?", (watch_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _watch(row) if row else None

    async def find_watch(self, chat_id: int, thread_id: int | None, task_id: str) -> Watch | None:
        """Return the watch of a task in one chat and topic, open or closed, or None.

        A closed watch stays until it is pruned; a removed one is deleted at once.
        """
        async with self._db.execute(
            f"SELECT {_WATCH_COLUMNS} FROM watches WHERE chat_id = ? AND thread_id = ? "
            "AND task_id = ?",
            (chat_id, _thread_key(thread_id), task_id),
        ) as cursor:
            row = await cursor.fetchone()
        return _watch(row) if row else None


    # Recording the poller's progress --------------------------------------------------------------

    async def close_watch(self, watch_id: int, state: str, now: float) -> bool:
        """Record that a watch is done (its chat was notified); False if it was already closed."""
        rowcount = await self._write(
            "UPDATE watches SET state = ?, notified_at = ? WHERE id = ? AND notified_at IS NULL",
            (state, now, watch_id),
        )
        return rowcount == 1

    async def close_tasks_of_chat(self, chat_id: int, states: Mapping[str, str], now: float) -> int:
        """Close the chat's open watches of each task with its state, in every topic.

        `states` maps task ids to states. Returns how many watches were closed.
        """
        async with self._write_lock:
            cursor = await self._db.executemany(
                "UPDATE watches SET state = ?, notified_at = ? WHERE chat_id = ? AND task_id = ? "
                "AND notified_at IS NULL",
                [(state, now, chat_id, task_id) for task_id, state in states.items()],
            )
            return cursor.rowcount

    async def record_failed_delivery(self, watch_id: int) -> int:
        """Count one more failed delivery of a watch's notification; return the new count."""
        rows = await self._write_returning(
            "UPDATE watches SET failed_deliveries = failed_deliveries + 1 WHERE id = ? "
            "RETURNING failed_deliveries",
            (watch_id,),
        )
        return int(rows[0][0]) if rows else 0

    async def record_misses(self, task_ids: Sequence[str]) -> dict[str, int]:
        """Count one more poll in which the API did not return these tasks; return the counts."""
        counts: dict[str, int] = {}
        for task_id in task_ids:
            rows = await self._write_returning(
                "UPDATE watches SET misses = misses + 1 WHERE task_id = ? AND notified_at IS NULL "
                "RETURNING misses",
                (task_id,),
            )
            if rows:
                counts[task_id] = max(int(row[0]) for row in rows)
        return counts

    async def reset_misses(self, task_ids: Sequence[str]) -> None:
        async with self._write_lock:
            await self._db.executemany(
                "UPDATE watches SET misses = 0 WHERE task_id = ? AND notified_at IS NULL "
                "AND misses > 0",
                [(task_id,) for task_id in task_ids],
            )

    async def expired_watches(self, added_before: float) -> list[Watch]:
        """Return the open watches added before `added_before`."""
        async with self._db.execute(
            f"SELECT {_WATCH_COLUMNS} FROM watches WHERE notified_at IS NULL AND added_at < ? "
            "ORDER BY chat_id, added_at",
            (added_before,),
        ) as cursor:
            return [_watch(row) async for row in cursor]

    async def prune_closed(self, closed_before: float) -> int:
        """Delete watches closed before `closed_before`; return how many."""
        return await self._write(
            "DELETE FROM watches WHERE notified_at IS NOT NULL AND notified_at < ?",
            (closed_before,),
        )

    # Daily creation caps --------------------------------------------------------------------------

    async def reserve_images(self, user_id: int, day: str, count: int, limit: int) -> int | None:
        """Add `count` images to the user's usage on `day` (YYYY-MM-DD), unless the total
        would exceed `limit`. Return the day's total afterwards, or None when over the limit."""
        async with self._transaction():
            used = await self._scalar(
                "SELECT images FROM creation_usage WHERE user_id = ? AND day = ?", (user_id, day)
            )
            if used + count > limit:
                return None
            await self._db.execute(
                "INSERT INTO creation_usage (user_id, day, images) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id, day) DO UPDATE SET images = images + excluded.images",
                (user_id, day, count),
            )
            await self._db.execute(
                "DELETE FROM creation_usage WHERE day < date(?, ?)",
                (day, f"-{_USAGE_RETENTION_DAYS} days"),
            )
        return used + count

    async def release_images(self, user_id: int, day: str, count: int) -> None:
        """Give back images reserved for a creation that the API did not start."""
        await self._write(
            "UPDATE creation_usage SET images = MAX(0, images - ?) WHERE user_id = ? AND day = ?",
            (count, user_id, day),
        )

    async def images_used(self, user_id: int, day: str) -> int:
        return await self._scalar(
            "SELECT images FROM creation_usage WHERE user_id = ? AND day = ?", (user_id, day)
        )

    # Chat languages -------------------------------------------------------------------------------

    async def chat_language(self, chat_id: int) -> str | None:
        """Return the language code the chat chose with /lang, or None when it chose none.

        Every command reads it, so results are cached in memory. That is safe because only this
        process writes the database, which its lock file ensures.
        """
        if chat_id in self._chat_languages:
            self._chat_languages.move_to_end(chat_id)
            return self._chat_languages[chat_id]
        async with self._db.execute(
            "SELECT language FROM chat_languages WHERE chat_id = ?", (chat_id,)
        ) as cursor:
            row = await cursor.fetchone()
        language = str(row[0]) if row else None
        self._remember_language(chat_id, language)
        return language

    def _remember_language(self, chat_id: int, language: str | None) -> None:
        self._chat_languages[chat_id] = language
        self._chat_languages.move_to_end(chat_id)
        if len(self._chat_languages) > _MAX_CACHED_LANGUAGES:
            self._chat_languages.popitem(last=False)

    async def set_chat_language(self, chat_id: int, language: str | None, now: float) -> None:
        """Store the chat's language code, or forget it when `language` is None."""
        self._chat_languages.pop(chat_id, None)
        if language is None:
            await self._write("DELETE FROM chat_languages WHERE chat_id = ?", (chat_id,))
            return
        await self._write(
            "INSERT INTO chat_languages (chat_id, language, set_at) VALUES (?, ?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET language = excluded.language, "
            "set_at = excluded.set_at",
            (chat_id, language, now),
        )

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        """Run the block's statements in one write transaction, rolled back if it raises."""
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _write(self, sql: str, parameters: Sequence[object] = ()) -> int:
        """Run one write statement on its own; return how many rows it changed."""
        async with self._write_lock:
            cursor = await self._db.execute(sql, parameters)
            return cursor.rowcount

    async def _write_returning(
        self, sql: str, parameters: Sequence[object] = ()
    ) -> list[Sequence[object]]:
        """Run one write statement with a RETURNING clause on its own; return its rows."""
        async with self._write_lock:
            async with self._db.execute(sql, parameters) as cursor:
                return list(await cursor.fetchall())

    async def _scalar(self, sql: str, parameters: Sequence[object] = ()) -> int:
        async with self._db.execute(sql, parameters) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else 0


async def _migrate(connection: aiosqlite.Connection) -> None:
    async with connection.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 0

    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"the database has schema version {version}, newer than this bot's "
            f"{len(MIGRATIONS)}: run a newer release of the bot, or use another DATABASE_PATH"
        )

    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        # Each version is applied in a transaction of its own, with its version number.
        try:
            await connection.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
            )
        except BaseException:
            if connection.in_transaction:
                await connection.execute("ROLLBACK")
            raise
        logger.info("Database schema upgraded to version %d", number)


def _lock_database(path: Path) -> int:
    lock_path = path.with_name(path.name + ".lock")
    lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock_fd)
        raise DatabaseInUseError(
            f"another bot process is using the database {path} (locked through {lock_path})"
        ) from None
    # The lock file contains the id of the process that holds the lock.
    os.ftruncate(lock_fd, 0)
    os.write(lock_fd, f"{os.getpid()}\n".encode())
    return lock_fd


def _unlock_database(lock_fd: int) -> None:
    fcntl.flock(lock_fd, fcntl.LOCK_UN)
    os.close(lock_fd)


def _parts(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


def _thread_key(thread_id: int | None) -> int:
    # NULLs are distinct in a UNIQUE constraint, so "no topic" is stored as 0, which Telegram
    # never uses as a topic id.
    return thread_id or 0


def _watch(row: Sequence[object]) -> Watch:
    (watch_id, chat_id, thread_id, task_id, added_by, added_at, source_message_id, state,
     misses, failed_deliveries, notified_at, language) = row
    return Watch(
        id=int(watch_id),  # type: ignore[arg-type]
        chat_id=int(chat_id),  # type: ignore[arg-type]
        thread_id=int(thread_id) or None,  # type: ignore[arg-type]
        task_id=str(task_id),
        added_by=added_by,  # type: ignore[arg-type]
        added_at=float(added_at),  # type: ignore[arg-type]
        source_message_id=source_message_id,  # type: ignore[arg-type]
        state=str(state),
        misses=int(misses),  # type: ignore[arg-type]
        failed_deliveries=int(failed_deliveries),  # type: ignore[arg-type]
        notified_at=notified_at,  # type: ignore[arg-type]
        language=language,  # type: ignore[arg-type]
    )
