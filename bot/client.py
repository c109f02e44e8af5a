"""Client of the Nano Banana Tasks API: `retrieve` one task or `retrieve_batch` many."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from bot.api_errors import (
    KNOWN_ERROR_CODES,
    ApiConnectionError,
    ApiTimeoutError,
    InvalidResponseError,
    TaskApiError,
    TooManyRequestsError,
    error_from_response,
)
from bot.api_health import ApiHealth
from bot.tasks import Task, parse_task

logger = logging.getLogger(__name__)

TASKS_PATH = "/nano-banana/tasks"

# Error codes and messages that mean "no task with this id". The API does not document its
# response for an unknown id, so these are matched loosely.
_NOT_FOUND_CODES = frozenset({"not_found", "task_not_found", "no_task", "no_such_task"})
_FIRST_RETRY_WAIT_SECONDS = 0.5


class TaskClient:
    """Calls the Tasks API over one shared httpx client, retrying transient failures.

    A failed call is retried up to `max_attempts` in all, for HTTP 429 and 5xx, timeouts,
    refused connections and bodies that are not JSON. Waits grow exponentially with jitter
    and never exceed `max_retry_wait`. A 429 whose `Retry-After` requests a longer wait is raised
    at once, so that an interactive command is not held up and the poller can back off.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        token: str,
        *,
        chunk_size: int = 50,
        concurrent_calls: int = 1,
        max_attempts: int = 3,
        max_retry_wait: float = 8.0,
    ) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + TASKS_PATH
        self._headers = {
            "authorization": f"Bearer {token}",
            "accept": "application/json",
        }
        self.chunk_size = chunk_size
        self.concurrent_calls = max(1, concurrent_calls)
        self._max_attempts = max_attempts
        self._max_retry_wait = max_retry_wait
        self.health = ApiHealth()

    async def retrieve(self, task_id: str) -> Task | None:
        """Return the task with this id, or None when the API does not know it."""
        with self._tracked():
            status, body = await self._call({"id": task_id, "action": "retrieve"})
            if status == 404 or _is_not_found(body):
                return None

            _raise_for_error_body(status, body)
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
        with self._tracked():
            status, body = await self._call({"ids": chunk, "action": "retrieve_batch"})
            _raise_for_error_body(status, body)
            return _tasks_of_batch(status, body, chunk)

    @contextlib.contextmanager
    def _tracked(self) -> Iterator[None]:
        """Record the outcome of one call, after its retries, in `health`."""
        try:
            yield
        except TaskApiError as error:
            self.health.record_failure(error)
            raise
        self.health.record_success()


    async def _call(self, payload: dict[str, Any]) -> tuple[int, Any]:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts),
            retry=retry_if_exception(self._should_retry),
            wait=self._wait_seconds,
            before_sleep=_log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._post(payload)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _post(self, payload: dict[str, Any]) -> tuple[int, Any]:
        try:
            response = await self._http.post(self._url, json=payload, headers=self._headers)
        except httpx.TimeoutException as error:
            raise ApiTimeoutError("timeout", f"no response in time ({type(error).__name__})") from None
        except httpx.TransportError as error:
            raise ApiConnectionError("connection_failed", _describe_transport_error(error)) from None

        if response.status_code == 429:
            body = _json_or_none(response)
            error_body = body.get("error") if isinstance(body, dict) else None
            raise TooManyRequestsError(
                "too_many_requests",
                _text(error_body, "message") or "rate limited",
                429,
                _text(body, "trace_id"),
                retry_after=_retry_after_seconds(response.headers.get("retry-after")),
            )

        try:
            body = response.json() if response.content.strip() else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            if response.status_code == 404:
                return 404, None
            raise _invalid_body_error(response) from None

        # Retryable failures are raised here, inside the retry loop. Other error responses
        # go back to the caller, which first checks whether they mean "not found".
        status = response.status_code
        if status >= 500 or _is_error_body(body):
            error = _error_for_body(status, body)
            if error.retryable:
                raise error
        return status, body

    def _should_retry(self, error: BaseException) -> bool:
        if not isinstance(error, TaskApiError) or not error.retryable:
            return False
        retry_after = getattr(error, "retry_after", None)
        return retry_after is None or retry_after <= self._max_retry_wait

    def _wait_seconds(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return min(retry_after, self._max_retry_wait)

        first_wait = min(_FIRST_RETRY_WAIT_SECONDS, self._max_retry_wait)
        ceiling = min(self._max_retry_wait, first_wait * 2 ** (state.attempt_number - 1))
        return random.uniform(ceiling / 2, ceiling)


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


def _raise_for_error_body(status: int, body: Any) -> None:
    if _is_error_body(body) or status >= 400:
        raise _error_for_body(status, body)


def _error_for_body(status: int, body: Any) -> TaskApiError:
    error_body = body.get("error") if isinstance(body, dict) else None
    return error_from_response(
        status,
        _text(error_body, "code"),
        _text(error_body, "message") or ("server error" if status >= 500 else None),
        _text(body, "trace_id"),
    )


def _is_error_body(body: Any) -> bool:
    """Tell an error envelope `{"success": false, "error": {...}}` from a task object."""
    return isinstance(body, dict) and "id" not in body and body.get("success") is False


def _is_not_found(body: Any) -> bool:
    if body is None or body == {}:
        return True
    if not isinstance(body, dict):
        return False
    if not _is_error_body(body):
        return "id" not in body and "items" not in body and "error" not in body

    error_body = body.get("error")
    code = (_text(error_body, "code") or "").lower()
    message = (_text(error_body, "message") or "").lower()
    if code in KNOWN_ERROR_CODES:
        return False
    return code in _NOT_FOUND_CODES or "not found" in message or "not exist" in message


def _text(container: Any, key: str) -> str | None:
    if isinstance(container, dict) and isinstance(container.get(key), str):
        return container[key]
    return None


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _invalid_body_error(response: httpx.Response) -> TaskApiError:
    content_type = response.headers.get("content-type", "no content type")
    excerpt = response.content[:80].decode("utf-8", "replace").replace("\n", " ")
    message = f"body is not JSON ({content_type}): {excerpt!r}"
    if response.status_code >= 500:
        return error_from_response(response.status_code, None, message, None)
    return InvalidResponseError("invalid_response", message, response.status_code)


def _retry_after_seconds(header: str | None) -> float | None:
    """Read a Retry-After header given in seconds or as an HTTP date (RFC 9110, section 10.2.3)."""
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


def _describe_transport_error(error: httpx.TransportError) -> str:
    # httpx's messages name the host but not the headers, so the token never shows here.
    detail = str(error) or "no detail"
    return f"{type(error).__name__}: {detail}"


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    logger.info(
        "Task API call failed (attempt %d): %s; retrying in %.1f s",
        state.attempt_number,
        error,
        wait,
    )
