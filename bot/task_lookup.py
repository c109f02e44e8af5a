"""The `task` command: print one task's state and image URLs in the terminal."""

from __future__ import annotations

import asyncio
import sys
import time
import unicodedata
from datetime import datetime, timezone

from bot.api_errors import TaskApiError
from bot.connections import new_task_client
from bot.exit_status import EXIT_FAILURE, EXIT_USAGE
from bot.ids import normalize_task_id
from bot.i18n import SOURCE_LANGUAGE, translator
from bot.render import format_age
from bot.settings import Settings
from bot.tasks import Task, TaskState

# Width of the labels, so that the values start in one column.
_LABEL_WIDTH = 10


def show_task(settings: Settings, text: str) -> int:
    """Look up one task and print it to standard output; return the exit status.

    An invalid id exits with EXIT_USAGE, a task the API does not return or a failed API call
    with EXIT_FAILURE, both with one line on standard error.
    """
    task_id = normalize_task_id(text)
    if task_id is None:
        print(
            f"nanobanana-bot: {_printable(text)!r} is not a valid task id. A task id is a UUID "
            "such as 4d320ead-4af4-4a55-8f3e-f2afebdf4fd0.",
            file=sys.stderr,
        )
        return EXIT_USAGE

    try:
        task = asyncio.run(_retrieve(settings, task_id))
    except TaskApiError as error:
        print(
            f"nanobanana-bot: Looking up task {task_id} failed: {error}. Run `nanobanana-bot "
            "check` to test the settings and the connection.",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if task is None:
        print(
            f"nanobanana-bot: Task {task_id} was not found. The task API only returns tasks "
            "created with the account of ACEDATA_API_TOKEN.",
            file=sys.stderr,
        )
        return EXIT_FAILURE

    print(task_lines(task, time.time()))
    return 0


async def _retrieve(settings: Settings, task_id: str) -> Task | None:
    http, tasks = new_task_client(settings)
    try:
        return await tasks.retrieve(task_id)
    finally:
        await http.aclose()


def task_lines(task: Task, now: float) -> str:
    """Return a task as lines of `label: value`, each image URL on its own line."""
    lines = [_line("Task", task.id), _line("State", _state(task, now))]
    if task.state is TaskState.FAILED:
        reason = task.error_message or "the API gave no reason"
        if task.error_code:
            reason = f"{reason} ({task.error_code})"
        lines.append(_line("Error", reason))
    if task.model:
        lines.append(_line("Model", task.model))
    if task.prompt:
        lines.append(_line("Prompt", task.prompt))
    if task.created_at is not None:
        lines.append(_line("Created", _utc(task.created_at)))
    if task.finished_at is not None:
        lines.append(_line("Finished", _utc(task.finished_at)))
    for number, image in enumerate(task.images, start=1):
        lines.append(_line(f"Image {number}", image.url))
    return "\n".join(lines)


def _state(task: Task, now: float) -> str:
    if task.state is TaskState.SUCCEEDED:
        return f"succeeded, {len(task.images)} image{'s' if len(task.images) != 1 else ''}"
    if task.state is TaskState.FAILED:
        return "failed"
    if task.created_at is None:
        return "running"
    # The command line speaks English only.
    age = format_age(translator(SOURCE_LANGUAGE), now - task.created_at)
    return f"running, started {age} ago"


def _line(label: str, value: str) -> str:
    # Continuation lines of a multi-line value, such as a prompt, start in the value column.
    indented = _printable(value).replace("\n", "\n" + " " * _LABEL_WIDTH)
    return f"{label + ':':<{_LABEL_WIDTH}}{indented}"


def _printable(text: str) -> str:
    """Replace control characters other than new lines, such as terminal escape sequences
    that the API could return in a prompt, with U+FFFD."""
    return "".join(
        character
        if character == "\n" or unicodedata.category(character) != "Cc"
        else "\ufffd"
        for character in text
    )


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
