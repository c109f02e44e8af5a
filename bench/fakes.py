"""The parent's side of the fakes' process: start it, send it requests, stop it."""

from __future__ import annotations

import asyncio
import multiprocessing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bench import fake_servers

# Seconds to wait for the fakes' process to start, and for the response to one request.
_START_TIMEOUT_SECONDS = 60.0
_REQUEST_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class FakeUrls:
    telegram: str
    task_api: str


class FakeServerError(RuntimeError):
    """A request to the fakes' process failed or timed out."""


class FakeServers:
    """The fake Bot API server and fake task API, running in a child process on 127.0.0.1."""

    def __init__(self) -> None:
        self.telegram_url = ""
        self.task_api_url = ""
        self._connection: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        parent_end, child_end = context.Pipe()
        self._process = context.Process(
            target=fake_servers.serve, args=(child_end,), name="bench-fakes", daemon=True
        )
        self._process.start()
        child_end.close()
        self._connection = parent_end
        urls = await self._receive(_START_TIMEOUT_SECONDS, "start")
        self.telegram_url = urls["telegram"]
        self.task_api_url = urls["task_api"]

    @property
    def urls(self) -> FakeUrls:
        return FakeUrls(self.telegram_url, self.task_api_url)

    async def stop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.send(("stop", {}))
            except OSError:
                pass
            self._connection.close()
            self._connection = None
        if self._process is not None:
            await asyncio.to_thread(self._process.join, 10)
            if self._process.is_alive():
                self._process.terminate()
                await asyncio.to_thread(self._process.join, 5)
            self._process = None

    async def request(self, operation: str, **arguments: Any) -> Any:
        """Run one operation of `FakeState` in the child and return its result."""
        if self._connection is None:
            raise FakeServerError("the fakes' process is not running")
        async with self._lock:
            self._connection.send((operation, arguments))
            return await self._receive(_REQUEST_TIMEOUT_SECONDS, operation)

    async def _receive(self, timeout: float, operation: str) -> Any:
        connection = self._connection
        assert connection is not None
        ready = await asyncio.to_thread(connection.poll, timeout)
        if not ready:
            raise FakeServerError(
                f"the fakes' process did not respond to {operation} in {timeout:g} s"
            )
        try:
            status, value = connection.recv()
        except EOFError:
            raise FakeServerError(
                f"the fakes' process exited before it responded to {operation}"
            ) from None
        if status != "ok":
            raise FakeServerError(str(value))
        return value

    async def __aenter__(self) -> FakeServers:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
