"""Watching the running tasks a command showed, and the "Stop watching" button."""

from __future__ import annotations

import time
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.limits import MAX_CALLBACK_DATA_BYTES
from bot.render import watch_added_text, watching_text
from bot.services import Services
from bot.storage import FAILED, SUCCEEDED
from bot.tasks import Task, TaskState

# Callback data of the "Stop watching" button: one task, or every task one command added.
STOP_TASK_PREFIX = "unwatch:t:"
STOP_MESSAGE_PREFIX = "unwatch:m:"
STOP_WATCHING_PATTERN = r"^unwatch:[tm]:"


async def watch_running_tasks(
    services: Services, message: Message, task_ids: Sequence[str]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Watch these running tasks in the message's chat and topic.

    Returns the note to append to the reply and its "Stop watching" button, which is None
    when nothing is watched.
    """
    thread_id = message.message_thread_id if message.is_topic_message else None
    result = await services.store.add_watches(
        message.chat_id,
        thread_id,
        task_ids,
        added_by=message.from_user.id if message.from_user else None,
        now=time.time(),
        limit=services.settings.watch_limit_per_chat,
        source_message_id=message.message_id,
    )

    watched = [*result.added, *result.already_watched]
    if result.over_limit:
        note = watch_added_text(
            result.added, result.already_watched, result.over_limit,
            services.settings.watch_limit_per_chat,
        )
    else:
        note = watching_text(watched)

    if not watched:
        return note, None
    if len(task_ids) == 1:
        return note, stop_watching_markup(STOP_TASK_PREFIX + task_ids[0])
    return note, stop_watching_markup(STOP_MESSAGE_PREFIX + str(message.message_id))


def stop_watching_markup(callback_data: str) -> InlineKeyboardMarkup:
    if len(callback_data.encode()) > MAX_CALLBACK_DATA_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_DATA_BYTES} bytes: {callback_data!r}")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("Stop watching", callback_data=callback_data)]]
    )


async def close_delivered_watches(services: Services, chat_id: int, tasks: Sequence[Task]) -> None:
    """Close the chat's watches of finished tasks a command has just shown in full.

    Without this, the poller would notify the chat of the same task a second time.
    """
    states = {
        task.id: SUCCEEDED if task.state is TaskState.SUCCEEDED else FAILED for task in tasks
    }
    if states:
        await services.store.close_tasks_of_chat(chat_id, states, time.time())
