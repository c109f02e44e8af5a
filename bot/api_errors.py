"""Typed errors of AceData's Nano Banana APIs, one class per kind of failure."""

from __future__ import annotations


class TaskApiError(Exception):
    """A call to the task API or the images API failed.

    `code` is the API's error code (such as `api_error`) or one of this module's own codes for
    failures that carry none: `timeout`, `connection_failed`, `invalid_response`.
    """

    retryable = False

    def __init__(
        self,
        code: str,
        message: str,
        status: int | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(code, message, status, trace_id)
        self.code = code
        self.message = message
        self.status = status
        self.trace_id = trace_id

    def __str__(self) -> str:
        status = f"HTTP {self.status}" if self.status is not None else "no HTTP status"
        trace = f", trace id {self.trace_id}" if self.trace_id else ""
        return f"{self.code} ({status}{trace}): {self.message}"


class InvalidTokenError(TaskApiError):
    """The API rejected the operator's token (`invalid_token`, `token_mismatched`, `token_expired`)."""


class ApiNotImplementedError(TaskApiError):
    """The API does not offer the requested action (`api_not_implemented`, `no_api`)."""


class TooManyRequestsError(TaskApiError):
    """The API is rate limiting the operator's token (`too_many_requests`, HTTP 429)."""

    retryable = True

    def __init__(self, *args: object, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(TaskApiError):
    """The API failed on its side (`api_error`, HTTP 5xx)."""

    retryable = True


class InvalidResponseError(TaskApiError):
    """The API returned a body that is not the JSON the bot expects."""

    retryable = True


class ApiTimeoutError(TaskApiError):
    """The API did not respond within the configured timeout."""

    retryable = True


class ApiConnectionError(TaskApiError):
    """The API could not be reached: connection refused or reset, or a DNS failure.

    `request_sent` is False when the connection failed before the request went out, so the
    API cannot have acted on it.
    """

    retryable = True

    def __init__(self, *args: object, request_sent: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.request_sent = request_sent


class InsufficientBalanceError(TaskApiError):
    """The operator's account has no credit left for new images (HTTP 403 `used_up`)."""


class ContentRejectedError(TaskApiError):
    """The safety filter rejected the request (HTTP 403 `forbidden`)."""


class RequestTooLargeError(TaskApiError):
    """The request body, usually an image, is over the API's size limit (HTTP 413)."""


TOKEN_ERROR_CODES = frozenset({"invalid_token", "token_mismatched", "token_expired"})
NOT_IMPLEMENTED_CODES = frozenset({"api_not_implemented", "no_api"})
KNOWN_ERROR_CODES = TOKEN_ERROR_CODES | NOT_IMPLEMENTED_CODES | {
    "too_many_requests", "api_error", "used_up", "forbidden", "request_too_large",
}


def error_from_response(
    status: int, code: str | None, message: str | None, trace_id: str | None
) -> TaskApiError:
    """Return the typed error for an error response of the API."""
    code = code or f"http_{status}"
    message = message or "no message"

    if code in TOKEN_ERROR_CODES or status == 401:
        return InvalidTokenError(code, message, status, trace_id)
    if code == "used_up":
        return InsufficientBalanceError(code, message, status, trace_id)
    if code == "forbidden":
        return ContentRejectedError(code, message, status, trace_id)
    if code == "request_too_large" or status == 413:
        return RequestTooLargeError(code, message, status, trace_id)
    if code in NOT_IMPLEMENTED_CODES:
        return ApiNotImplementedError(code, message, status, trace_id)
    if code == "too_many_requests" or status == 429:
        return TooManyRequestsError(code, message, status, trace_id)
    if code == "api_error" or status >= 500:
        return ServerError(code, message, status, trace_id)
    return TaskApiError(code, message, status, trace_id)
