"""The watch poller: retrieves the watched tasks and notifies their chats once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError, TimedOut

from bot import storage
from bot.api_errors import InvalidTokenError, TaskApiError
from bot.client import TaskClient
from bot.deliver import Delivery, Destination
from bot.i18n import Translator, resolve_language, translator
from bot.replies import send_task
from bot.storage import Watch, WatchStore
from bot.tasks import Task, TaskState
from bot.watch_texts import watch_expired_text, watch_not_found_text

logger = logging.getLogger(__name__)

# Polls in a row in which the API leaves a task out of its batch reply before the watch is
# closed as "not found". One miss may be a passing fault of the API.
MISSES_BEFORE_NOT_FOUND = 3

# Failed tries to deliver one notification before the watch is given up.
MAX_FAILED_DELIVERIES = 3

# Chats notified at the same time; the rate limiter spaces the requests themselves.
MAX_CONCURRENT_CHATS = 8

# Closed watches are kept this long, then deleted.
CLOSED_WATCH_RETENTION_SECONDS = 7 * 24 * 3600

# Task ids read from the database per page while polling.
_TASK_ID_PAGE_SIZE = 1000

# Maximum pause of polling while the task API fails, and the pause after a rejected token.
MAX_BACKOFF_SECONDS = 300.0

# How long shutdown waits for a running poll cycle to finish before abandoning it. Docker
# stops a container with SIGKILL 10 s after SIGTERM, so this stays well below that.
_SHUTDOWN_WAIT_SECONDS = 5.0

_TOPIC_GONE_MESSAGES = ("message thread not found", "topic_deleted", "topic_closed")


@dataclass(slots=True)
class PollStats:
    """Counters of the poller since start, for logs and health checks."""

    cycles: int = 0
    last_success_at: float | None = None
    last_error: str | None = None
    finished: int = 0
    delivered: int = 0
    failed_deliveries: int = 0


class Poller:
    """Runs poll cycles, one at a time; a watch is closed only after its chat was notified.

    A cycle closes expired watches, then reads the open watches' task ids page by page,
    retrieves them with one retrieve_batch call per chunk, and notifies every chat
    watching a task that finished. A crash between a notification and its record sends that
    notification once more after the restart, never more.
    """

    def __init__(
        self,
        store: WatchStore,
        tasks: TaskClient,
        delivery: Delivery,
        *,
        watch_timeout_seconds: float,
        poll_interval_seconds: float,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._tasks = tasks
        self._delivery = delivery
        self._watch_timeout_seconds = watch_timeout_seconds
        self._poll_interval_seconds = poll_interval_seconds
        self._clock = clock
        self._monotonic = monotonic
        self._lock = asyncio.Lock()
        self._cycle_done = asyncio.Condition()
        self._requested: asyncio.Task[None] | None = None
        self._current: asyncio.Task[object] | None = None
        self._stopping = False
        self._failed_cycles = 0
        self._resume_at: float | None = None
        # A lock per task being notified, with the number of coroutines using it.
        self._task_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self.stats = PollStats()

    @property
    def running(self) -> bool:
        return self._lock.locked()

    @property
    def paused(self) -> bool:
        """Whether cycles are skipped because the task API failed recently.

        The pause ends at its time, or as soon as any call to the API works again, such as a
        user's /task.
        """
        if self._resume_at is None:
            return False
        if not self._tasks.health.failing or self._monotonic() >= self._resume_at:
            self._resume_at = None
            return False
        return True

    async def run_cycle(self) -> None:
        """Run one poll cycle, after the one in progress if there is one."""
        async with self._lock:
            if self._stopping:
                return
            self._current = asyncio.current_task()
            try:
                if self.paused:
                    logger.debug("Polling paused while the task API fails")
                else:
                    await self._cycle()
            finally:
                self._current = None
                async with self._cycle_done:
                    self.stats.cycles += 1
                    self._cycle_done.notify_all()

    def request_cycle(self) -> None:
        """Start a cycle soon, such as after /watch; requests made before it starts share it."""
        if self._requested is not None and not self._requested.done():
            return
        self._requested = asyncio.create_task(self.run_cycle(), name="requested poll cycle")

    async def wait_for_requested(self) -> None:
        """Wait until the requested cycle, if any, has ended."""
        requested = self._requested
        if requested is not None and not requested.done():
            await asyncio.wait([requested])

    async def wait_for_cycles(self, count: int) -> None:
        """Wait until `count` more cycles have ended."""
        async with self._cycle_done:
            target = self.stats.cycles + count
            await self._cycle_done.wait_for(lambda: self.stats.cycles >= target)

    async def close(self, wait_seconds: float = _SHUTDOWN_WAIT_SECONDS) -> None:
        """Stop polling: let a running cycle finish, or cancel it after `wait_seconds`.

        Cancelling is safe, because each watch is closed on its own right after Telegram
        accepted its notification. A notification sent but not yet recorded is sent once
        more after the restart.
        """
        # A cycle that has not started yet returns at once when this is set.
        self._stopping = True
        try:
            async with asyncio.timeout(wait_seconds):
                async with self._lock:
                    return
        except TimeoutError:
            pass

        current = self._current
        if current is not None and not current.done():
            logger.warning("Poll cycle still running after %.0f s; cancelling it", wait_seconds)
            current.cancel()
            await asyncio.wait([current])

    async def _cycle(self) -> None:
        now = self._clock()
        await self._expire_watches(now)

        try:
            async for task_ids in self._store.iter_open_task_ids(_TASK_ID_PAGE_SIZE):
                async with contextlib.aclosing(self._tasks.iter_batches(task_ids)) as batches:
                    async for chunk, tasks in batches:
                        await self._handle_chunk(chunk, tasks, now)
                        if self._stopping:
                            return
        except TaskApiError as error:
            self._back_off(error)
            return

        self._failed_cycles = 0
        self.stats.last_success_at = now
        self.stats.last_error = None
        await self._store.prune_closed(now - CLOSED_WATCH_RETENTION_SECONDS)

    def _back_off(self, error: TaskApiError) -> None:
        """Pause polling after a failed cycle, longer after each failure in a row.

        The task API's health logs the failing period once; this only logs at debug level.
        """
        self._failed_cycles += 1
        self.stats.last_error = str(error)

        if isinstance(error, InvalidTokenError):
            delay = MAX_BACKOFF_SECONDS
        else:
            ceiling = self._poll_interval_seconds * 2 ** (self._failed_cycles - 1)
            delay = random.uniform(0.5, 1.0) * min(MAX_BACKOFF_SECONDS, ceiling)
            retry_after = getattr(error, "retry_after", None)
            if retry_after is not None:
                delay = max(delay, min(MAX_BACKOFF_SECONDS, retry_after))

        self._resume_at = self._monotonic() + delay
        logger.debug(
            "Poll cycle failed (%d in a row): %s; next poll in %.0f s",
            self._failed_cycles, error, delay,
        )

    async def _handle_chunk(self, chunk: Sequence[str], tasks: dict[str, Task], now: float) -> None:
        # Each finished task, or None for a task the API left out too many polls in a row.
        finished: dict[str, Task | None] = {}

        missing = [task_id for task_id in chunk if task_id not in tasks]
        if missing:
            misses = await self._store.record_misses(missing)
            for task_id, count in misses.items():
                if count >= MISSES_BEFORE_NOT_FOUND:
                    finished[task_id] = None

        running = [task.id for task in tasks.values() if task.state is TaskState.PENDING]
        if running:
            await self._store.reset_misses(running)

        for task in tasks.values():
            if task.state.is_final:
                self.stats.finished += 1
                finished[task.id] = task

        if finished:
            try:
                await self._notify_tasks(finished, now)
            except Exception:
                logger.exception(
                    "Notifying the chats of tasks %s failed; going on", ", ".join(finished)
                )

    async def notify_finished(self, task: Task) -> None:
        """Notify every chat watching a finished task now, as a poll cycle would."""
        await self._notify_tasks({task.id: task}, self._clock())

    async def check_now(self, task_id: str) -> None:
        """Retrieve one watched task at once, such as when the images API reports it done,
        and notify its chats if it finished.

        The poll cycles stay the safety net: a task still running here, or an API failure,
        is left to them.
        """
        try:
            tasks = await self._tasks.retrieve_batch([task_id])
        except TaskApiError as error:
            logger.info("Checking task %s at once failed: %s; the next poll retries", task_id, error)
            return
        task = tasks.get(task_id)
        if task is None or not task.state.is_final:
            logger.debug("Task %s is not finished yet in the API; the next poll retries", task_id)
            return
        await self.notify_finished(task)

    async def _notify_tasks(self, finished: dict[str, Task | None], now: float) -> None:
        """Notify every chat watching these tasks: chats in parallel, each chat in order.

        A burst of finished tasks then fills Telegram's rate limit, instead of waiting for
        one send's round trip after another. The tasks' locks are held throughout, so that a
        poll cycle and check_now that meet on a task send each notification once: the second
        finds the watches closed.
        """
        async with self.locked_tasks(list(finished)):
            await self._notify_open_watches(finished, now)

    @contextlib.asynccontextmanager
    async def locked_tasks(self, task_ids: list[str]) -> AsyncIterator[None]:
        """Hold the notification lock of each task, for code that sends a task's result
        outside a poll cycle. Locks are taken in sorted order, so two holders cannot deadlock.
        """
        # asyncio.Lock is not reentrant, so a repeated id would wait on itself.
        task_ids = sorted(set(task_ids))
        locks = []
        for task_id in task_ids:
            lock, users = self._task_locks.get(task_id, (asyncio.Lock(), 0))
            self._task_locks[task_id] = (lock, users + 1)
            locks.append(lock)
        try:
            async with contextlib.AsyncExitStack() as stack:
                for lock in locks:
                    await stack.enter_async_context(lock)
                yield
        finally:
            for task_id in task_ids:
                lock, users = self._task_locks[task_id]
                if users == 1:
                    del self._task_locks[task_id]
                else:
                    self._task_locks[task_id] = (lock, users - 1)

    async def _notify_open_watches(self, finished: dict[str, Task | None], now: float) -> None:
        watches = await self._store.open_watches_of_tasks(list(finished))
        by_chat: dict[int, list[Watch]] = defaultdict(list)
        for watch in watches:
            by_chat[watch.chat_id].append(watch)

        semaphore = asyncio.Semaphore(MAX_CONCURRENT_CHATS)

        async def notify_chat(chat_watches: list[Watch]) -> None:
            async with semaphore:
                for watch in chat_watches:
                    task = finished[watch.task_id]
                    if not await self._notify_watch(watch, watch.task_id, task, now):
                        return

        results = await asyncio.gather(
            *(notify_chat(chat_watches) for chat_watches in by_chat.values()),
            return_exceptions=True,
        )
        for (chat_id, chat_watches), result in zip(by_chat.items(), results, strict=True):
            if isinstance(result, Exception):
                logger.error(
                    "Notifying chat %s of tasks %s failed; going on", chat_id,
                    ", ".join(watch.task_id for watch in chat_watches), exc_info=result,
                )

    async def _notify_watch(self, watch: Watch, task_id: str, task: Task | None, now: float) -> bool:
        """Notify one watch's chat and close the watch; return False if the chat is gone."""
        state = _closed_state(task)
        destination = Destination(watch.chat_id, watch.thread_id)
        try:
            await self._send(destination, watch, task_id, task, now)
        except Forbidden as error:
            dropped = await self._store.drop_chat(watch.chat_id)
            logger.warning(
                "Chat %s no longer accepts messages (%s): dropped its %d watches",
                watch.chat_id, error, dropped,
            )
            return False
        except ChatMigrated as error:
            await self._move_chat(watch.chat_id, error.new_chat_id)
            moved = Destination(error.new_chat_id, watch.thread_id)
            if not await self._try_send(moved, watch, task_id, task, now):
                return True
        except BadRequest as error:
            if destination.thread_id is None or not _is_topic_gone(error):
                await self._record_failure(watch, task_id, error)
                return True
            logger.info("Topic %s of chat %s is gone; notifying the chat itself",
                        watch.thread_id, watch.chat_id)
            if not await self._try_send(Destination(watch.chat_id), watch, task_id, task, now):
                return True
        except TimedOut as error:
            # Telegram may have delivered the message. Sending it again could show the chat
            # the same images twice, so the watch is closed as notified.
            logger.warning(
                "Notification of task %s to chat %s timed out and may not have arrived: %s",
                task_id, watch.chat_id, error,
            )
        except RetryAfter as error:
            logger.warning(
                "Notification of task %s to chat %s hit the flood limit (%s); retrying next poll",
                task_id, watch.chat_id, error,
            )
            return True
        except TelegramError as error:
            await self._record_failure(watch, task_id, error)
            return True

        if await self._store.close_watch(watch.id, state, self._clock()):
            self.stats.delivered += 1
            if task is None:
                logger.info(
                    "Chat %s: task %s not returned in %d polls; watch closed as not found",
                    watch.chat_id, task_id, MISSES_BEFORE_NOT_FOUND,
                )
            else:
                logger.debug("Chat %s notified of task %s (%s)", watch.chat_id, task_id, state)
        return True

    async def _try_send(
        self, destination: Destination, watch: Watch, task_id: str, task: Task | None, now: float
    ) -> bool:
        try:
            await self._send(destination, watch, task_id, task, now)
        except TelegramError as error:
            await self._record_failure(watch, task_id, error)
            return False
        return True

    async def _send(
        self, destination: Destination, watch: Watch, task_id: str, task: Task | None, now: float
    ) -> None:
        t = await self._translator_for(destination.chat_id, watch)
        if task is None:
            await self._delivery.send_text(
                destination,
                watch_not_found_text(t, task_id, MISSES_BEFORE_NOT_FOUND),
                reply_to=watch.source_message_id,
            )
            return
        await send_task(
            self._delivery, destination, t, task_id, task, now, reply_to=watch.source_message_id
        )

    async def _translator_for(self, chat_id: int, watch: Watch) -> Translator:
        """Return the translator of the chat's language chosen with /lang, else of the language
        the watch was added in. A notification has no sender whose language could count."""
        chosen = await self._store.chat_language(chat_id)
        return translator(resolve_language(chosen, watch.language))

    async def _move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        moved = await self._store.migrate_chat(old_chat_id, new_chat_id)
        logger.info(
            "Chat %s became supergroup %s: moved %d watches", old_chat_id, new_chat_id, moved
        )

    async def _record_failure(self, watch: Watch, task_id: str, error: TelegramError) -> None:
        self.stats.failed_deliveries += 1
        failures = await self._store.record_failed_delivery(watch.id)
        if failures >= MAX_FAILED_DELIVERIES:
            await self._store.close_watch(watch.id, storage.UNDELIVERABLE, self._clock())
            logger.error(
                "Gave up notifying chat %s of task %s after %d failed tries: %s",
                watch.chat_id, task_id, failures, error,
            )
        else:
            logger.warning(
                "Notifying chat %s of task %s failed (try %d of %d): %s",
                watch.chat_id, task_id, failures, MAX_FAILED_DELIVERIES, error,
            )

    async def _expire_watches(self, now: float) -> None:
        expired = await self._store.expired_watches(now - self._watch_timeout_seconds)
        by_destination: dict[tuple[int, int | None], list[Watch]] = defaultdict(list)
        for watch in expired:
            by_destination[(watch.chat_id, watch.thread_id)].append(watch)

        for (chat_id, thread_id), watches in by_destination.items():
            task_ids = [watch.task_id for watch in watches]
            t = await self._translator_for(chat_id, watches[0])
            text = watch_expired_text(t, task_ids, self._watch_timeout_seconds / 3600)
            try:
                await self._delivery.send_text(Destination(chat_id, thread_id), text)
            except Forbidden:
                await self._store.drop_chat(chat_id)
                continue
            except TelegramError as error:
                logger.warning("Expiry notice to chat %s was not delivered: %s", chat_id, error)
            for watch in watches:
                await self._store.close_watch(watch.id, storage.EXPIRED, now)
            logger.info("Chat %s: %d watches expired: %s", chat_id, len(watches), ", ".join(task_ids))


def _closed_state(task: Task | None) -> str:
    if task is None:
        return storage.NOT_FOUND
    if task.state is TaskState.SUCCEEDED:
        return storage.SUCCEEDED
    return storage.FAILED


def _is_topic_gone(error: BadRequest) -> bool:
    message = error.message.lower()
    return any(fragment in message for fragment in _TOPIC_GONE_MESSAGES)
