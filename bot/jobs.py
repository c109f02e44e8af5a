"""Jobs that the Application's JobQueue runs."""

from __future__ import annotations

import logging

from telegram.ext import ContextTypes

from bot.poll_summary import PollSummary
from bot.services import services_of

logger = logging.getLogger(__name__)


async def poll_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run a poll cycle of the watched tasks, unless the previous one is still running.

    The job's data, when it is a PollSummary, logs a summary line every few cycles.
    """
    services = services_of(context)
    poller = services.poller
    if poller.running:
        logger.debug("Previous poll cycle still running; skipping this one")
        return
    await poller.run_cycle()

    summary = context.job.data if context.job is not None else None
    if isinstance(summary, PollSummary) and summary.due(poller.stats):
        summary.log(poller.stats, await services.store.count_open())
