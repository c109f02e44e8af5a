"""The bot's health: whether it receives updates and polls its watched tasks, as JSON."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from telegram.ext import Application

from bot.services import find_services

# With watches open, the bot is unhealthy when no poll cycle has succeeded for this many poll
# intervals, and for at least MIN_STALE_POLL_SECONDS. Polling backs off while the task API
# fails, so a failing API makes the bot unhealthy after about that long.
STALE_POLL_INTERVALS = 3
MIN_STALE_POLL_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The verdict and the JSON body that the health endpoint returns."""

    healthy: bool
    body: dict[str, Any]


def stale_poll_seconds(poll_interval_seconds: float) -> float:
    """Return the age of the last successful poll after which the bot counts as unhealthy."""
    return max(STALE_POLL_INTERVALS * poll_interval_seconds, MIN_STALE_POLL_SECONDS)


def assess_health(
    *,
    receiving_updates: bool,
    mode: str,
    open_watches: int,
    started_at: float,
    last_successful_poll_at: float | None,
    poll_interval_seconds: float,
    api_token_rejected: bool,
    api_failing: bool,
    last_api_error: str | None,
    counters: dict[str, int],
    now: float,
) -> HealthReport:
    """Decide whether the bot is healthy and build the report. Times are Unix seconds.

    The bot is unhealthy when it does not receive updates, when the task API rejects its
    token, or when watches are open and no poll cycle succeeded within
    stale_poll_seconds(poll_interval_seconds). Before the first successful cycle, that time
    counts from `started_at`.
    """
    problems = []
    if not receiving_updates:
        problems.append("not receiving updates from Telegram")
    if api_token_rejected:
        problems.append("the task API rejects ACEDATA_API_TOKEN")

    stale_after = stale_poll_seconds(poll_interval_seconds)
    # NOTE: a cycle records its success when it ends, so a cycle that runs longer than
    # `stale_after`, such as one sending many albums, reports unhealthy until it ends.
    poll_age = now - (last_successful_poll_at or started_at)
    if open_watches and poll_age > stale_after:
        problems.append(
            f"no successful poll for {poll_age:.0f} s with {open_watches} open watches"
        )

    body: dict[str, Any] = {
        "status": "unhealthy" if problems else "ok",
        "problems": problems,
        "updates": mode,
        "receiving_updates": receiving_updates,
        "open_watches": open_watches,
        "last_successful_poll": _iso_time(last_successful_poll_at),
        "seconds_since_successful_poll": (
            round(now - last_successful_poll_at, 1) if last_successful_poll_at else None
        ),
        "poll_interval_seconds": poll_interval_seconds,
        "unhealthy_after_seconds_without_poll": stale_after,
        "api_failing": api_failing,
        "last_api_error": last_api_error,
        **counters,
    }
    return HealthReport(healthy=not problems, body=body)


async def current_health(application: Application, started_at: float) -> HealthReport:
    """Build the health report of a running application from its services' state now."""
    services = find_services(application.bot_data)
    updater = application.updater
    receiving = bool(application.running and updater is not None and updater.running)
    if services is None:
        return HealthReport(False, {"status": "unhealthy", "problems": ["services not started"]})

    stats = services.poller.stats
    api_health = services.tasks.health
    return assess_health(
        receiving_updates=receiving,
        mode="webhook" if services.settings.webhook_url else "long polling",
        open_watches=await services.store.count_open(),
        started_at=started_at,
        last_successful_poll_at=stats.last_success_at,
        poll_interval_seconds=services.settings.poll_interval_seconds,
        api_token_rejected=api_health.token_rejected,
        api_failing=api_health.failing,
        last_api_error=str(api_health.last_error) if api_health.last_error else None,
        counters={
            "poll_cycles": stats.cycles,
            "tasks_finished": stats.finished,
            "notifications_delivered": stats.delivered,
            "failed_deliveries": stats.failed_deliveries,
        },
        now=time.time(),
    )


def _iso_time(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")
