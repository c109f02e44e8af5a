"""Jobs that the Application's JobQueue runs."""

from __future__ import annotations

import logging

from telegram.ext import ContextTypes

from bot.services import services_of

logger = logging.getLogger(__name__)


async def poll_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run a poll cycle of the watched tasks, unless the previous one is still running."""
    poller = services_of(context).poller
    if poller.running:
        logger.debug("Previous poll cycle still running; skipping this one")
        return
    await poller.run_cycle()
