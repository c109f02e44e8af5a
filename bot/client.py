"""Client of the Nano Banana Tasks API: `retrieve` one task or `retrieve_batch` many."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from bot.acedata_http import AceDataHttp, is_error_body, raise_for_error_body, text_of
from bot.api_errors import KNOWN_ERROR_CODES, InvalidResponseError
from bot.api_health import ApiHealth
from bot.tasks import Task, parse_task

TASKS_PATH = "/nano-banana/tasks"

# Error codes and messages that mean "no task with this id". The API does not document its
# response for an unknown id, so these are matched loosely.
_NOT_FOUND_CODES = frozenset({"not_found", "task_not_found", "no_task", "no_such_task"})


class TaskClient:
    """Calls the Tasks API: `retrieve` one task or `retrieve_batch` many, in chunks.

    Every call is idempotent, so transient failures are retried as AceDataHttp describes.
    """

    def __init__(self, api: AceDataHttp, *, chunk_size: int = 50, concurrent_calls: int = 1) -> None:
        self._api = api
        self.chunk_size = chunk_size
        self.concurrent_calls = max(1, concurrent_calls)

    @property
    def health(self) -> ApiHealth:
        return self._api.health

    async def retrieve(self, task_id: str) -> Task | None:
        """Return the task with this id, or None when the API does not know it."""
        with self._api.tracked():
            status, body = await self._api.call(TASKS_PATH, {"id": task_id, "action": "retrieve"})
            if status == 404 or _is_not_found(body):
                return None

            raise_for_error_body(status, body)
            return parse_task(body)

    async def retrieve_batch(self, task_ids: Sequence[str]) -> dict[str, Task]:
        """Return the known tasks among `task_ids`, keyed by id, with one call per chunk."""
        tasks: dict[str, Task] = {}
        async for _, chunk_tasks in self.iter_batches(task_ids):
            tasks.update(chunk_tasks)
        return tasks

    async def iter_batches(
        self, task_ids: Sequence[str]
    ) -> AsyncIterator[tuple[list[str], dict[str, Task]]]:
        """Yield each chunk of `task_ids` with its known tasks, in order, as its call returns.

        Up to `concurrent_calls` calls run at once, so that a cycle over many chunks waits
        for the API's round trip once per that many chunks. Ids the API does not know are
        missing from the chunk's dict, as they are missing from the API's `items`. When a
        call fails, or the caller stops early, the calls still running are cancelled.
        """
        running: deque[tuple[list[str], asyncio.Task[dict[str, Task]]]] = deque()
        try:
            for chunk in _chunks(task_ids, self.chunk_size):
                running.append((chunk, asyncio.create_task(self._retrieve_chunk(chunk))))
                if len(running) >= self.concurrent_calls:
                    done_chunk, call = running.popleft()
                    yield done_chunk, await call
            while running:
                done_chunk, call = running.popleft()
                yield done_chunk, await call
        finally:
            for _, call in running:
                call.cancel()
            await asyncio.gather(*(call for _, call in running), return_exceptions=True)

    async def _retrieve_chunk(self, chunk: list[str]) -> dict[str, Task]:
        with self._api.tracked():
            status, body = await self._api.call(
                TASKS_PATH, {"ids": chunk, "action": "retrieve_batch"}
            )
            raise_for_error_body(status, body)
            return _tasks_of_batch(status, body, chunk)


def _chunks(task_ids: Iterable[str], size: int) -> Iterable[list[str]]:
    chunk: list[str] = []
    for task_id in task_ids:
        chunk.append(task_id)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _tasks_of_batch(status: int, body: Any, chunk: list[str]) -> dict[str, Task]:
    # An empty body, `{}` or `"items": null` all mean that no id is known.
    if body is None or body == {}:
        return {}
    if isinstance(body, dict) and "items" in body and body["items"] is None:
        return {}
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise InvalidResponseError(
            "invalid_response", "retrieve_batch returned no list of items", status
        )

    requested = set(chunk)
    tasks: dict[str, Task] = {}
    for item in items:
        task = parse_task(item)
        if task is not None and task.id in requested:
            tasks[task.id] = task
    return tasks


def _is_not_found(body: Any) -> bool:
    if body is None or body == {}:
        return True
    if not isinstance(body, dict):
        return False
    if not is_error_body(body):
        return "id" not in body and "items" not in body and "error" not in body

    error_body = body.get("error")
    code = (text_of(error_body, "code") or "").lower()
    message = (text_of(error_body, "message") or "").lower()
    if code in KNOWN_ERROR_CODES:
        return False
    return code in _NOT_FOUND_CODES or "not found" in message or "not exist" in message
