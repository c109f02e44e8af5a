"""Logging set-up: one format, quiet HTTP libraries, and no secret in any line."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_REDACTED = "[REDACTED]"

# httpx logs every request URL at INFO, and Bot API URLs contain the bot token. httpcore and
# hpack log request details at DEBUG. APScheduler logs every run of every job at INFO, and
# aiosqlite every database operation at DEBUG.
_QUIET_LOGGERS = ("httpx", "httpcore", "hpack", "apscheduler", "aiosqlite")


class RedactSecrets(logging.Filter):
    """Replace each secret in a record's formatted message and traceback with [REDACTED]."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None

        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self._redact(text)
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, _REDACTED)
        return text


def configure_logging(level: str, secrets: Iterable[str]) -> None:
    """Send log lines to standard error at `level`, with the secrets removed from them."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactSecrets(secrets))

    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
