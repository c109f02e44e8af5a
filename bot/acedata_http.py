"""HTTP calls to AceData's APIs: one shared httpx client, typed errors, retries, health."""

from __future__ import annotations

import contextlib
import json
import logging
import random
from collections.abc import Iterator
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from bot.api_errors import (
    ApiConnectionError,
    ApiTimeoutError,
    InvalidResponseError,
    TaskApiError,
    TooManyRequestsError,
    error_from_response,
)
from bot.api_health import ApiHealth

logger = logging.getLogger(__name__)

_FIRST_RETRY_WAIT_SECONDS = 0.5


class AceDataHttp:
    """POSTs JSON to AceData's API with the operator's token, retrying transient failures.

    A failed call is tried up to `max_attempts` times in all. Idempotent calls retry HTTP 429
    and 5xx, timeouts, refused connections and bodies that are not JSON. Other calls, which
    would spend credit twice if they ran twice, retry only failures that prove the API never
    got the request: a refused connection and HTTP 429. Waits grow exponentially with jitter
    and never exceed `max_retry_wait`. A 429 whose `Retry-After` requests a longer wait is
    raised at once, so that an interactive command is not held up and the poller can back
    off.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        token: str,
        *,
        max_attempts: int = 3,
        max_retry_wait: float = 8.0,
        health: ApiHealth | None = None,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._headers = {"authorization": f"Bearer {token}", "accept": "application/json"}
        self._max_attempts = max_attempts
        self._max_retry_wait = max_retry_wait
        self.health = health or ApiHealth()

    async def call(
        self, path: str, payload: dict[str, Any], *, idempotent: bool = True
    ) -> tuple[int, Any]:
        """POST `payload` to `path` and return the HTTP status and the decoded JSON body.

        Retryable failures are raised after the last try. Other error responses are
        returned, so that the caller can tell "not found" from an error first.
        """
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts),
            retry=retry_if_exception(
                self._should_retry_idempotent if idempotent else self._should_retry_once_only
            ),
            wait=self._wait_seconds,
            before_sleep=_log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._post(self._base_url + path, payload)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    @contextlib.contextmanager
    def tracked(self) -> Iterator[None]:
        """Record the outcome of one call, after its retries, in `health`."""
        try:
            yield
        except TaskApiError as error:
            self.health.record_failure(error)
            raise
        self.health.record_success()

    async def _post(self, url: str, payload: dict[str, Any]) -> tuple[int, Any]:
        try:
            response = await self._http.post(url, json=payload, headers=self._headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise ApiConnectionError(
                "connection_failed", _describe_transport_error(error), request_sent=False
            ) from None
        except httpx.TimeoutException as error:
            raise ApiTimeoutError("timeout", f"no response in time ({type(error).__name__})") from None
        except httpx.TransportError as error:
            raise ApiConnectionError("connection_failed", _describe_transport_error(error)) from None

        if response.status_code == 429:
            body = _json_or_none(response)
            error_body = body.get("error") if isinstance(body, dict) else None
            raise TooManyRequestsError(
                "too_many_requests",
                text_of(error_body, "message") or "rate limited",
                429,
                text_of(body, "trace_id"),
                retry_after=_retry_after_seconds(response.headers.get("retry-after")),
            )

        try:
            body = response.json() if response.content.strip() else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            if response.status_code == 404:
                return 404, None
            raise _invalid_body_error(response) from None

        status = response.status_code
        if status >= 500 or is_error_body(body):
            error = error_for_body(status, body)
            if error.retryable:
                raise error
        return status, body

    def _should_retry_idempotent(self, error: BaseException) -> bool:
        if not isinstance(error, TaskApiError) or not error.retryable:
            return False
        return self._retry_after_fits(error)

    def _should_retry_once_only(self, error: BaseException) -> bool:
        if isinstance(error, TooManyRequestsError):
            return self._retry_after_fits(error)
        return isinstance(error, ApiConnectionError) and not error.request_sent

    def _retry_after_fits(self, error: BaseException) -> bool:
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


def raise_for_error_body(status: int, body: Any) -> None:
    if is_error_body(body) or status >= 400:
        raise error_for_body(status, body)


def error_for_body(status: int, body: Any) -> TaskApiError:
    error_body = body.get("error") if isinstance(body, dict) else None
    return error_from_response(
        status,
        text_of(error_body, "code"),
        text_of(error_body, "message") or ("server error" if status >= 500 else None),
        text_of(body, "trace_id"),
    )


def is_error_body(body: Any) -> bool:
    """Tell an error envelope `{"success": false, "error": {...}}` from a task object."""
    return isinstance(body, dict) and "id" not in body and body.get("success") is False


def text_of(container: Any, key: str) -> str | None:
    """Return `container[key]` when the container is a dict and the value a string."""
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
    # A proxy in front of the API may return an HTML page with an error status. The status
    # alone then gives the kind of error, such as 413 for a body over its size limit.
    if response.status_code >= 400:
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
        "AceData API call failed (attempt %d): %s; retrying in %.1f s",
        state.attempt_number,
        error,
        wait,
    )
