"""The "Refresh" button of a running task's message: look the task up again and edit the
message in place, sending the images when the task has finished."""

from __future__ import annotations

import logging
import time

from telegram import Bot, InlineKeyboardMarkup, MaybeInaccessibleMessage, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot import storage
from bot.api_errors import TaskApiError
from bot.chat_languages import translator_for
from bot.deliver import Destination
from bot.html_text import plain_text
from bot.i18n import Translator
from bot.ids import normalize_task_id
from bot.presses import answer_press
from bot.render import (
    api_error_text,
    failed_text,
    no_images_text,
    pending_text,
    refresh_notice,
    refreshed_finished_text,
)
from bot.replies import send_images
from bot.services import Services, services_of
from bot.storage import Watch
from bot.tasks import Task, TaskState
from bot.watch_texts import watching_text
from bot.watching import REFRESH_TASK_PREFIX, task_buttons

logger = logging.getLogger(__name__)


async def refresh_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle a press of "Refresh" under a running task's message.

    A running task's message is edited with its new age and watch note. A finished task's
    message becomes its final state without buttons, and the images are sent as a reply,
    unless the chat's watch was already closed with the result sent. The chat's open watch is
    then closed, so that the poller does not send the result again.
    """
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return

    services = services_of(context)
    message = query.message
    destination = _destination_of(message)
    t = await translator_for(services, destination.chat_id, query.from_user)
    task_id = normalize_task_id(query.data.removeprefix(REFRESH_TASK_PREFIX))
    if task_id is None:
        await answer_press(query, t.gettext("This button is no longer valid."))
        return

    try:
        task = await services.tasks.retrieve(task_id)
    except TaskApiError as error:
        logger.info("Refresh of task %s in chat %s failed: %s", task_id, destination.chat_id, error)
        await answer_press(query, plain_text(api_error_text(t, error)))
        return

    watch = await services.store.find_watch(destination.chat_id, destination.thread_id, task_id)
    sent_earlier = _result_sent(watch)
    await answer_press(query, refresh_notice(t, task, sent_earlier=sent_earlier))
    if task is None:
        return

    if task.state is TaskState.PENDING:
        watched = watch is not None and watch.notified_at is None
        text = pending_text(t, task, time.time())
        if watched:
            text = f"{text}\n\n{watching_text(t, [task_id])}"
        await _edit(context.bot, message, text, task_buttons(t, task_id, watched=watched))
        return

    # The poller notifies under the same lock, so a poll cycle at this moment waits, then
    # finds the watch closed, and the result is sent once.
    async with services.poller.locked_tasks([task_id]):
        watch = await services.store.find_watch(destination.chat_id, destination.thread_id, task_id)
        sent_earlier = _result_sent(watch)
        if task.state is TaskState.SUCCEEDED and task.images and not sent_earlier:
            await send_images(services.delivery, destination, t, [task], reply_to=message.message_id)
        await _close_watch(services, watch, task)
    await _edit(context.bot, message, _final_text(t, task, sent_earlier=sent_earlier), None)


async def _close_watch(services: Services, watch: Watch | None, task: Task) -> None:
    if watch is None or watch.notified_at is not None:
        return
    state = storage.SUCCEEDED if task.state is TaskState.SUCCEEDED else storage.FAILED
    await services.store.close_watch(watch.id, state, time.time())


def _destination_of(message: MaybeInaccessibleMessage) -> Destination:
    thread_id = getattr(message, "message_thread_id", None)
    is_topic = getattr(message, "is_topic_message", False)
    return Destination(message.chat.id, thread_id if is_topic else None)


def _result_sent(watch: Watch | None) -> bool:
    """Return whether the poller or a command already sent the task's result to this chat."""
    return (
        watch is not None
        and watch.notified_at is not None
        and watch.state in (storage.SUCCEEDED, storage.FAILED)
    )


def _final_text(t: Translator, task: Task, *, sent_earlier: bool) -> str:
    if task.state is TaskState.FAILED:
        return failed_text(t, task)
    if not task.images:
        return no_images_text(t, task)
    return refreshed_finished_text(t, task, sent_earlier=sent_earlier)



async def _edit(
    bot: Bot, message: MaybeInaccessibleMessage, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    try:
        await bot.edit_message_text(
            text,
            chat_id=message.chat.id,
            message_id=message.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
    except BadRequest as error:
        # A second press within the same minute renders the same text, which Telegram rejects.
        if "message is not modified" in error.message.lower():
            return
        logger.info("Editing the message of a Refresh press failed: %s", error)
    except TelegramError as error:
        logger.warning("Editing the message of a Refresh press failed: %s", error)
