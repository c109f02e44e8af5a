"""The state all measures share: configuration, fakes, scratch folder and the bot's log."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from pathlib import Path

from bench.config import Config
from bench.fakes import FakeServers


class LogCounter(logging.Handler):
    """Counts the bot's log records at ERROR and above, and those about a locked database."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.errors = 0
        self.database_locked = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f" {record.exc_info[1]}"
        if "database is locked" in text:
            self.database_locked += 1
        if record.levelno >= logging.ERROR:
            self.errors += 1


@dataclass
class BenchContext:
    """The configuration and resources every measure gets."""

    config: Config
    fakes: FakeServers
    workdir: Path
    log: LogCounter
    _databases: itertools.count = field(default_factory=itertools.count)

    def new_database_path(self, name: str) -> Path:
        """Return the path of a database file that does not exist yet."""
        return self.workdir / f"{name}-{next(self._databases)}.sqlite3"
