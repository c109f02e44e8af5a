"""Answering button presses with answerCallbackQuery, within its text limit."""

from __future__ import annotations

import logging

from telegram import CallbackQuery
from telegram.error import TelegramError

from bot.html_text import cut_plain

logger = logging.getLogger(__name__)

# The maximum length of the notice text of answerCallbackQuery.
MAX_NOTICE_LENGTH = 200


async def answer_press(press: CallbackQuery, text: str) -> None:
    """Show `text` to the user who pressed the button, cut to Telegram's limit.

    Every press needs an answer, because the client shows a spinner until then. A failed
    answer is logged and not raised: Telegram rejects the answer to a press older than its
    query lifetime, and the press has done its work by then.
    """
    try:
        await press.answer(cut_plain(text, MAX_NOTICE_LENGTH))
    except TelegramError as error:
        logger.debug("answerCallbackQuery for user %s failed: %s", press.from_user.id, error)
