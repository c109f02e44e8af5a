"""Watching the running tasks a command showed, and the "Refresh" and "Stop watching" buttons."""

from __future__ import annotations

import time
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.i18n import Translator
from bot.limits import MAX_CALLBACK_DATA_BYTES
from bot.services import Services
from bot.storage import FAILED, SUCCEEDED
from bot.tasks import Task, TaskState
from bot.watch_texts import watch_added_text, watching_text

# Callback data of the "Stop watching" button: one task, or every task one command added.
STOP_TASK_PREFIX = "unwatch:t:"
STOP_MESSAGE_PREFIX = "unwatch:m:"
STOP_WATCHING_PATTERN = r"^unwatch:[tm]:"

# Callback data of the "Refresh" button of one task's message.
REFRESH_TASK_PREFIX = "refresh:t:"
REFRESH_PATTERN = r"^refresh:t:"


async def watch_running_tasks(
    services: Services, message: Message, task_ids: Sequence[str], t: Translator
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Watch these running tasks in the message's chat and topic, in the language of `t`.

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
        language=t.language,
    )

    watched = [*result.added, *result.already_watched]
    if result.over_limit:
        note = watch_added_text(
            t, result.added, result.already_watched, result.over_limit,
            services.settings.watch_limit_per_chat,
        )
    else:
        note = watching_text(t, watched)

    if not watched:
        return note, None
    if len(task_ids) == 1:
        return note, task_buttons(t, task_ids[0], watched=True)
    return note, stop_watching_markup(t, STOP_MESSAGE_PREFIX + str(message.message_id))


def task_buttons(t: Translator, task_id: str, *, watched: bool) -> InlineKeyboardMarkup:
    """Return the buttons under a running task's message: "Refresh", then "Stop watching"
    while the chat watches the task."""
    # Translators: the label of a button that looks the task up again.
    buttons = [callback_button(t.gettext("Refresh"), REFRESH_TASK_PREFIX + task_id)]
    if watched:
        buttons.append(callback_button(t.gettext("Stop watching"), STOP_TASK_PREFIX + task_id))
    return InlineKeyboardMarkup([buttons])


def stop_watching_markup(t: Translator, callback_data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[callback_button(t.gettext("Stop watching"), callback_data)]])


def callback_button(text: str, callback_data: str) -> InlineKeyboardButton:
    """Return an inline button, raising ValueError when its data is over Telegram's limit."""
    if len(callback_data.encode()) > MAX_CALLBACK_DATA_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_DATA_BYTES} bytes: {callback_data!r}")
    return InlineKeyboardButton(text, callback_data=callback_data)


async def close_delivered_watches(services: Services, chat_id: int, tasks: Sequence[Task]) -> None:
    """Close the chat's watches of finished tasks a command has just shown in full.

    Without this, the poller would notify the chat of the same task a second time.
    """
    states = {
        task.id: SUCCEEDED if task.state is TaskState.SUCCEEDED else FAILED for task in tasks
    }
    if states:
        await services.store.close_tasks_of_chat(chat_id, states, time.time())
