"""A summary log line every N poll cycles: open watches and what the cycles since did."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from bot.poller import PollStats

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class PollSummary:
    """Logs one INFO line after every `every_cycles` poll cycles.

    The line gives the open watches now, and the tasks finished, notifications delivered and
    deliveries failed since the previous line.
    """

    every_cycles: int
    _previous: PollStats | None = None

    def due(self, stats: PollStats) -> bool:
        """Return whether `every_cycles` cycles have ended since the previous line."""
        logged_at = self._previous.cycles if self._previous else 0
        return stats.cycles - logged_at >= self.every_cycles

    def log(self, stats: PollStats, open_watches: int) -> None:
        previous = self._previous or PollStats()
        logger.info(
            "Poll summary: %d watched, %d finished, %d delivered, %d failed in the last %d cycles",
            open_watches,
            stats.finished - previous.finished,
            stats.delivered - previous.delivered,
            stats.failed_deliveries - previous.failed_deliveries,
            stats.cycles - previous.cycles,
        )
        self._previous = replace(stats)
