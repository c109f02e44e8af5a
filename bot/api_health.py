"""Whether the task API is failing, logged once when a failing period starts and once when it ends."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.api_errors import InvalidTokenError, TaskApiError

logger = logging.getLogger(__name__)


class ApiHealth:
    """Outcome of the latest task API calls, shared by the commands and the poller.

    A failing period starts with the first failed call after a success and ends with the next
    success. Each start and end is logged once, whatever the number of calls in between, and
    a change in the kind of failure during a period is logged too.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.failing_since: float | None = None
        self.failures = 0
        self.last_error: TaskApiError | None = None
        self.last_success_at: float | None = None

    @property
    def failing(self) -> bool:
        return self.failing_since is not None

    @property
    def token_rejected(self) -> bool:
        return self.failing and isinstance(self.last_error, InvalidTokenError)

    def record_success(self) -> None:
        now = self._clock()
        if self.failing_since is not None:
            logger.warning(
                "Task API works again after %.0f s (failed calls: %d)",
                now - self.failing_since,
                self.failures,
            )
        self.failing_since = None
        self.failures = 0
        self.last_success_at = now

    def record_failure(self, error: TaskApiError) -> None:
        previous = self.last_error
        self.failures += 1
        self.last_error = error

        # The API's own messages may end with a full stop, and _advice adds a sentence.
        described = str(error).rstrip(".")
        if self.failing_since is None:
            self.failing_since = self._clock()
            logger.warning("Task API failing: %s%s", described, _advice(error))
        elif previous is None or previous.code != error.code:
            logger.warning("Task API still failing, now with: %s%s", described, _advice(error))
        else:
            logger.debug("Task API still failing (%d calls): %s", self.failures, error)


def _advice(error: TaskApiError) -> str:
    if isinstance(error, InvalidTokenError):
        return ". Check ACEDATA_API_TOKEN; polling pauses until a call works again"
    return ""
