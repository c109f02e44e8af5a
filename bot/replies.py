"""Replies about tasks, composed from the rendered texts and sent through the delivery."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

from bot.api_errors import TaskApiError
from bot.deliver import AlbumResult, Delivery, Destination
from bot.i18n import Translator
from bot.render import (
    api_error_text,
    batch_summary_text,
    failed_text,
    no_images_text,
    not_found_text,
    pending_text,
    plan_albums,
)
from bot.tasks import Task, TaskState

logger = logging.getLogger(__name__)


async def send_task(
    delivery: Delivery,
    destination: Destination,
    t: Translator,
    task_id: str,
    task: Task | None,
    now: float,
    *,
    reply_to: int | None = None,
    watch_note: str | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send one task: its images when it succeeded, else a text with its state.

    `watch_note` and `reply_markup` go with the text of a running task.
    """
    if task is None:
        await delivery.send_text(destination, not_found_text(t, task_id), reply_to=reply_to)
    elif task.state is TaskState.PENDING:
        text = _with_note(pending_text(t, task, now), watch_note)
        await delivery.send_text(destination, text, reply_to=reply_to, reply_markup=reply_markup)
    elif task.state is TaskState.FAILED:
        await delivery.send_text(destination, failed_text(t, task), reply_to=reply_to)
    elif not task.images:
        await delivery.send_text(destination, no_images_text(t, task), reply_to=reply_to)
    else:
        await send_images(delivery, destination, t, [task], reply_to=reply_to)


async def send_batch(
    delivery: Delivery,
    destination: Destination,
    t: Translator,
    task_ids: Sequence[str],
    tasks: dict[str, Task],
    invalid: Sequence[str],
    now: float,
    *,
    reply_to: int | None = None,
    watch_note: str | None = None,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send a /batch summary, a line per id, then the images of the finished tasks.

    `watch_note` and `reply_markup` go with the summary.
    """
    summary = _with_note(batch_summary_text(t, task_ids, tasks, invalid, now), watch_note)
    await delivery.send_text(destination, summary, reply_to=reply_to, reply_markup=reply_markup)

    finished = [
        tasks[task_id]
        for task_id in task_ids
        if task_id in tasks and tasks[task_id].state is TaskState.SUCCEEDED
    ]
    await send_images(delivery, destination, t, finished)


async def send_images(
    delivery: Delivery,
    destination: Destination,
    t: Translator,
    tasks: Sequence[Task],
    *,
    reply_to: int | None = None,
) -> list[AlbumResult]:
    """Send the images of finished tasks in albums of up to 10, and return each album's result.

    When an album's caption had to cut a prompt, a text with the full prompt follows the
    album as a reply to its first message.
    """
    results = []
    for position, album in enumerate(plan_albums(t, tasks)):
        result = await delivery.send_album(
            destination, album, reply_to=reply_to if position == 0 else None
        )
        results.append(result)
        if album.full_prompts and result.messages:
            await delivery.send_text(
                destination,
                album.full_prompts,
                reply_to=result.messages[0].message_id,
                task_ids=album.task_ids,
            )
    return results


async def send_api_error(
    delivery: Delivery,
    destination: Destination,
    t: Translator,
    error: TaskApiError,
    task_ids: Sequence[str],
    *,
    reply_to: int | None = None,
) -> None:
    """Tell the chat that the task API failed, and log the error with its code and trace id.

    The task API's health logs each failing period once at warning level; this line, one per
    command, is at info level.
    """
    logger.info(
        "Task API call for chat %s failed, tasks %s: %s",
        destination.chat_id,
        ", ".join(task_ids),
        error,
    )
    await delivery.send_text(destination, api_error_text(t, error), reply_to=reply_to)


def _with_note(text: str, note: str | None) -> str:
    return f"{text}\n\n{note}" if note else text
