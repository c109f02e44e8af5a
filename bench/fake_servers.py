"""The child process that runs the fake Bot API server and the fake task API.

The fakes run in a process of their own, so that the benchmark's CPU time and RSS are the
bot's alone. The parent sends requests over a multiprocessing pipe, each an operation name
and keyword arguments, and gets back plain data (see `FakeServers` in bench/fakes.py).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from bench.workload import API_TOKEN, BOT_TOKEN, CDN_HOST, IMAGE_PATH, pending_task, succeeded_task
from tests.fakes.images import png_bytes
from tests.fakes.task_api import FakeTaskApi
from tests.fakes.telegram_server import FakeTelegram

# Methods of the Bot API whose calls count as messages that reach a chat.
MESSAGE_METHODS = frozenset({"sendMessage", "sendPhoto", "sendMediaGroup", "sendDocument"})

# Seconds one operation may run on the fakes' event loop before the request fails.
_OPERATION_TIMEOUT_SECONDS = 100.0


class FakeState:
    """The two running fakes, and the operations the parent may request."""

    def __init__(self, telegram: FakeTelegram, task_api: FakeTaskApi) -> None:
        self.telegram = telegram
        self.task_api = task_api
        self.finished_at: dict[str, float] = {}
        self._finishers: list[asyncio.Task[None]] = []

    def urls(self) -> dict[str, str]:
        return {"telegram": self.telegram.base_url, "task_api": self.task_api.base_url}

    def configure(
        self,
        *,
        latency: float,
        overall_rate_per_second: int | None = None,
        group_rate_per_minute: int | None = None,
    ) -> None:
        """Set the added latency of both fakes and the flood limits the Bot API enforces."""
        self.task_api.latency = latency
        self.telegram.latency = latency
        self.telegram.overall_rate_per_second = overall_rate_per_second
        self.telegram.group_rate_per_minute = group_rate_per_minute

    def put_tasks(self, *, first: int, count: int, state: str) -> None:
        """Store tasks `first` to `first + count - 1`, running or succeeded."""
        build = pending_task if state == "pending" else succeeded_task
        for number in range(first, first + count):
            self.task_api.set_task(build(number))

    def finish_later(self, *, delays: list[tuple[int, float]]) -> None:
        """Make each task succeed after its delay in seconds, recording when it did."""
        for number, delay in delays:
            self._finishers.append(asyncio.ensure_future(self._finish(number, delay)))

    async def _finish(self, number: int, delay: float) -> None:
        await asyncio.sleep(delay)
        task = self.task_api.set_task(succeeded_task(number))
        self.finished_at[task] = time.monotonic()

    def finish_times(self) -> dict[str, float]:
        return dict(self.finished_at)

    async def push_update(self, *, update: dict[str, Any]) -> int:
        return await self.telegram.push_update(update)

    def marks(self) -> dict[str, int]:
        """Return how many calls each fake has recorded so far, to read later ones only."""
        return {"telegram": len(self.telegram.calls), "task_api": len(self.task_api.calls)}

    def api_calls(self, *, since: int = 0) -> list[dict[str, Any]]:
        """Return each task API call since a mark: its action, id count, arrival and response."""
        return [
            {"action": call.action, "ids": len(call.ids), "at": call.at,
             "responded_at": call.responded_at}
            for call in self.task_api.calls[since:]
        ]

    def messages(self, *, since: int = 0) -> list[dict[str, Any]]:
        """Return each message call since a mark: method, chat, arrival time and outcome."""
        return [
            {"method": call.method, "chat_id": call.chat_id, "at": call.at, "ok": call.ok,
             "error_code": call.error_code}
            for call in self.telegram.calls[since:]
            if call.method in MESSAGE_METHODS
        ]

    def telegram_counters(self) -> dict[str, Any]:
        return {
            "rate_limit_hits": self.telegram.rate_limit_hits,
            "update_delivered_at": dict(self.telegram.update_delivered_at),
        }

    def reset_flood_limits(self) -> None:
        """Forget earlier sends, so that one measure's messages do not count against the next."""
        self.telegram.reset_flood_limits()


def serve(connection: Connection) -> None:
    """Run the fakes until the parent sends `stop` or closes the pipe."""
    asyncio.run(_serve(connection))


async def _serve(connection: Connection) -> None:
    task_api = FakeTaskApi(API_TOKEN)
    await task_api.start()
    task_api.add_image(IMAGE_PATH, png_bytes())
    telegram = FakeTelegram(BOT_TOKEN, cdn_hosts={CDN_HOST: task_api.base_url})
    await telegram.start()
    state = FakeState(telegram, task_api)

    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    reader = threading.Thread(
        target=_read_requests, args=(connection, state, loop, stopped), daemon=True
    )
    reader.start()
    connection.send(("ok", state.urls()))
    try:
        await stopped.wait()
    finally:
        await telegram.stop()
        await task_api.stop()


def _read_requests(
    connection: Connection, state: FakeState, loop: asyncio.AbstractEventLoop, stopped: asyncio.Event
) -> None:
    """Run the parent's requests one at a time on the event loop, and send back each result."""
    while True:
        try:
            operation, arguments = connection.recv()
        except EOFError:
            break
        if operation == "stop":
            break
        handler: Callable[..., Any] | None = getattr(state, operation, None)
        if handler is None or operation.startswith("_"):
            connection.send(("error", f"unknown operation {operation!r}"))
            continue
        try:
            result = asyncio.run_coroutine_threadsafe(_call(handler, arguments), loop).result(
                timeout=_OPERATION_TIMEOUT_SECONDS
            )
        except Exception as error:  # the parent gets every failure as its message
            connection.send(("error", f"{operation} failed: {type(error).__name__}: {error}"))
        else:
            connection.send(("ok", result))
    loop.call_soon_threadsafe(stopped.set)


async def _call(handler: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    result = handler(**arguments)
    if inspect.isawaitable(result):
        result = await result
    return result
