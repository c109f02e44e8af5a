"""Texts and captions the bot sends, in Telegram's HTML parse mode."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.api_errors import (
    ApiConnectionError,
    ApiNotImplementedError,
    ApiTimeoutError,
    InvalidResponseError,
    InvalidTokenError,
    ServerError,
    TaskApiError,
    TooManyRequestsError,
)
from bot.html_text import cut_plain, escape, visible_length
from bot.limits import MAX_ALBUM_SIZE, MAX_CAPTION_LENGTH
from bot.tasks import Task, TaskState

EXAMPLE_TASK_ID = "4d320ead-4af4-4a55-8f3e-f2afebdf4fd0"
EXAMPLE_TASK_ID_2 = "5a1e9c3d-7b2f-4e8a-b6c4-2d9f0e1a3b7c"

# How much of a user's invalid input a reply repeats back.
_MAX_ECHO_LENGTH = 60
# How much of a prompt a status line shows.
_MAX_PROMPT_EXCERPT = 200
# How many invalid ids a reply names one by one; the rest are counted.
MAX_INVALID_SHOWN = 10


class WatchLine(Protocol):
    """The fields of a watch that the /watches list shows."""

    task_id: str
    thread_id: int | None
    added_at: float
    misses: int


@dataclass(frozen=True, slots=True)
class Album:
    """Images sent together: one photo, or an album of 2 to 10 with the caption on the first."""

    urls: tuple[str, ...]
    caption: str
    task_ids: tuple[str, ...]
    # The task of each URL, in the same order.
    url_task_ids: tuple[str, ...] = ()
    # HTML with the full prompts that the caption had to cut, sent after the images; empty
    # when the caption shows every prompt whole.
    full_prompts: str = ""


def help_text(max_batch_ids: int, create_enabled: bool = False) -> str:
    create = ""
    if create_enabled:
        create = (
            "/imagine <code>a lighthouse at dusk --ar 16:9 --n 2</code>\n"
            "Start a generation. Its images are sent here when it finishes. "
            "Options: --model, --ar, --res, --n.\n\n"
            "/edit <code>make the sky purple</code>\n"
            "Edit a photo. Send it as a reply to the photo, or with image URLs.\n\n"
        )
    return (
        "<b>Nano Banana task bot</b>\n"
        "Shows the images of your Nano Banana generations on AceData Cloud, "
        "or tells you how a task is doing.\n\n"
        "<b>Commands</b>\n"
        f"/task <code>{EXAMPLE_TASK_ID}</code>\n"
        "Show one task: its images when finished, else its state.\n\n"
        f"/batch <code>{EXAMPLE_TASK_ID} {EXAMPLE_TASK_ID_2}</code>\n"
        f"Show up to {max_batch_ids} tasks at once. Separate the ids with spaces, "
        "commas or new lines.\n\n"
        f"/watch <code>{EXAMPLE_TASK_ID}</code>\n"
        "Watch tasks in this chat: their images are sent here when each finishes. "
        "/task and /batch watch running tasks by themselves.\n\n"
        f"/unwatch <code>{EXAMPLE_TASK_ID}</code> or /unwatch all\n"
        "Stop watching tasks.\n\n"
        "/watches\nList the tasks this chat watches.\n\n"
        f"{create}"
        "/help\nShow what this bot does and its commands.\n\n"
        "A task id is the <code>task_id</code> the Nano Banana Images API returned "
        "when the generation started."
    )


def command_menu(max_batch_ids: int, create_enabled: bool = False) -> list[tuple[str, str]]:
    """Return the commands of Telegram's command menu with their descriptions.

    Each description is the first sentence of the command's entry in help_text, and the
    order is the same, so the menu and /help agree.
    """
    create = [("imagine", "Start a generation"), ("edit", "Edit a photo")] if create_enabled else []
    return [
        ("task", "Show one task: its images when finished, else its state"),
        ("batch", f"Show up to {max_batch_ids} tasks at once"),
        ("watch", "Watch tasks in this chat: their images are sent here when each finishes"),
        ("unwatch", "Stop watching tasks"),
        ("watches", "List the tasks this chat watches"),
        *create,
        ("help", "Show what this bot does and its commands"),
    ]


def echo(value: str) -> str:
    """Return a user's input, cut and escaped, for repeating it back in a reply."""
    return f"<code>{escape(cut_plain(value, _MAX_ECHO_LENGTH))}</code>"


def invalid_id_text(value: str) -> str:
    return (
        f"⚠️ {echo(value)} is not a valid task id. A task id is a UUID such as "
        f"<code>{EXAMPLE_TASK_ID}</code>."
    )


def task_usage_text() -> str:
    return f"Send /task followed by a task id, for example:\n/task <code>{EXAMPLE_TASK_ID}</code>"


def task_too_many_ids_text(count: int) -> str:
    return (
        f"/task takes one task id, and this message has {count}. "
        f"To look up several tasks at once, send /batch followed by the ids."
    )


def batch_usage_text(max_batch_ids: int) -> str:
    return (
        f"Send /batch followed by up to {max_batch_ids} task ids, separated by spaces, "
        f"commas or new lines, for example:\n"
        f"/batch <code>{EXAMPLE_TASK_ID} {EXAMPLE_TASK_ID_2}</code>"
    )


def batch_too_many_ids_text(count: int, max_batch_ids: int, command: str = "/batch") -> str:
    return (
        f"⚠️ This {command} has {count} different task ids, and one {command} takes at most "
        f"{max_batch_ids}. Split them over several {command} messages."
    )


def format_age(seconds: float) -> str:
    """Format a duration in short units: "45 s", "3 min", "2 h 5 min", "3 days"."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def task_id_code(task_id: str) -> str:
    return f"<code>{escape(task_id)}</code>"


def pending_text(task: Task, now: float) -> str:
    lines = [f"⏳ Task {task_id_code(task.id)} is still running{_running_for(task, now)}."]
    if task.prompt:
        lines.append(f"Prompt: {escape(cut_plain(task.prompt, _MAX_PROMPT_EXCERPT))}")
    return "\n".join(lines)


def failed_text(task: Task) -> str:
    lines = [f"❌ Task {task_id_code(task.id)} failed: {escape(_failure_reason(task))}"]
    if task.prompt:
        lines.append(f"Prompt: {escape(cut_plain(task.prompt, _MAX_PROMPT_EXCERPT))}")
    return "\n".join(lines)


def refreshed_finished_text(task: Task, *, sent_earlier: bool) -> str:
    """Return the text that replaces a running task's message once the task finished with
    images, after a press of "Refresh"."""
    where = "sent to this chat earlier" if sent_earlier else "sent as a reply to this message"
    lines = [
        f"✅ Task {task_id_code(task.id)} finished with {_count(len(task.images), 'image')}, "
        f"{where}."
    ]
    if task.prompt:
        lines.append(f"Prompt: {escape(cut_plain(task.prompt, _MAX_PROMPT_EXCERPT))}")
    return "\n".join(lines)


def refresh_notice(task: Task | None, *, sent_earlier: bool) -> str:
    """Return the short plain text that Telegram shows on top of the chat after a press of
    "Refresh"."""
    if task is None:
        return "The task API did not return this task. Try again later."
    if task.state is TaskState.PENDING:
        return "Still running."
    if task.state is TaskState.FAILED:
        return "The task failed."
    if task.images and not sent_earlier:
        return "Finished: sending the images."
    return "Finished."


def no_images_text(task: Task) -> str:
    return f"✅ Task {task_id_code(task.id)} finished, but the API returned no images for it."


def not_found_text(task_id: str) -> str:
    return (
        f"🔍 Task {task_id_code(task_id)} was not found. Check the id. The bot only sees "
        "tasks created with its operator's AceData account."
    )


def api_error_text(error: TaskApiError, api: str = "task API") -> str:
    """Return a sentence for the user about a failed call of `api`, without internals."""
    if isinstance(error, InvalidTokenError):
        return (
            f"⚠️ The {api} rejected this bot's AceData API token, so it cannot be used now. "
            "Please ask the bot's operator to check the token."
        )
    if isinstance(error, ApiNotImplementedError):
        return (
            f"⚠️ The {api} is not available to this bot's AceData account. "
            "Please ask the bot's operator to check the account."
        )
    if isinstance(error, TooManyRequestsError):
        return f"⚠️ The {api} is receiving too many requests. Please try again in a minute."
    if isinstance(error, ApiTimeoutError):
        return f"⚠️ The {api} did not answer in time. Please try again in a few minutes."
    if isinstance(error, ApiConnectionError):
        return f"⚠️ The bot could not reach the {api}. Please try again in a few minutes."
    if isinstance(error, ServerError):
        return f"⚠️ The {api} failed on its side. Please try again in a few minutes."
    if isinstance(error, InvalidResponseError):
        return f"⚠️ The {api} sent a response the bot cannot read. Please try again later."
    return f"⚠️ The {api} rejected the request: {escape(cut_plain(error.message, 200))}"


def no_valid_ids_text(invalid: Sequence[str]) -> str:
    """Return the reply to a /batch in which no value is a task id."""
    lines = [f"⚠️ {echo(value)} is not a valid task id" for value in invalid[:MAX_INVALID_SHOWN]]
    if len(invalid) > MAX_INVALID_SHOWN:
        lines.append(f"⚠️ and {len(invalid) - MAX_INVALID_SHOWN} more values that are not task ids")
    lines.append(f"Nothing was looked up. A task id is a UUID such as <code>{EXAMPLE_TASK_ID}</code>.")
    return "\n".join(lines)


def batch_summary_text(
    task_ids: Sequence[str],
    tasks: dict[str, Task],
    invalid: Sequence[str],
    now: float,
) -> str:
    """Return a summary of a /batch: a header with counts, then one line per id."""
    counts = {state: 0 for state in TaskState}
    lines = []
    for task_id in task_ids:
        task = tasks.get(task_id)
        if task is None:
            lines.append(f"🔍 {task_id_code(task_id)} not found")
            continue
        counts[task.state] += 1
        lines.append(_batch_line(task, now))

    not_found = len(task_ids) - sum(counts.values())
    parts = [
        f"{counts[TaskState.SUCCEEDED]} finished",
        f"{counts[TaskState.PENDING]} running",
        f"{counts[TaskState.FAILED]} failed",
    ]
    if not_found:
        parts.append(f"{not_found} not found")
    if invalid:
        parts.append(f"{len(invalid)} invalid")
    for value in invalid[:MAX_INVALID_SHOWN]:
        lines.append(f"⚠️ {echo(value)} is not a valid task id")
    if len(invalid) > MAX_INVALID_SHOWN:
        lines.append(f"⚠️ and {len(invalid) - MAX_INVALID_SHOWN} more values that are not task ids")

    total = len(task_ids) + len(invalid)
    header = f"<b>{total} task{'s' if total != 1 else ''}</b>: " + ", ".join(parts)
    return "\n".join([header, *lines])


def _batch_line(task: Task, now: float) -> str:
    code = task_id_code(task.id)
    if task.state is TaskState.SUCCEEDED:
        count = len(task.images)
        return f"✅ {code} finished, {count} image{'s' if count != 1 else ''}"
    if task.state is TaskState.FAILED:
        return f"❌ {code} failed: {escape(cut_plain(_failure_reason(task), 120))}"
    return f"⏳ {code} still running{_running_for(task, now)}"


def plan_albums(tasks: Sequence[Task]) -> list[Album]:
    """Pack the images of finished tasks into albums of at most 10, keeping their order.

    Telegram shows an album's caption only when exactly one item carries it, so each album
    gets one caption, on its first item, naming every task the album shows.
    """
    items = [(task, image.url) for task in tasks for image in task.images]
    albums = []
    for start in range(0, len(items), MAX_ALBUM_SIZE):
        chunk = items[start : start + MAX_ALBUM_SIZE]
        album_tasks = list(dict.fromkeys(task for task, _ in chunk))
        albums.append(
            Album(
                urls=tuple(url for _, url in chunk),
                caption=album_caption(album_tasks),
                task_ids=tuple(task.id for task in album_tasks),
                url_task_ids=tuple(task.id for task, _ in chunk),
                full_prompts=full_prompts_text(album_tasks),
            )
        )
    return albums


def album_caption(tasks: Sequence[Task]) -> str:
    """Return a caption under Telegram's 1024-character limit naming each task and its prompt.

    Prompts are cut as plain text before escaping, so a cut never falls inside a tag or an
    entity. Each task gets an equal share of the room left by the fixed parts.
    """
    share = _prompt_share(tasks)
    blocks = []
    for task in tasks:
        id_line = _caption_id_line(task)
        prompt = _caption_prompt(task, share)
        blocks.append(f"{escape(prompt)}\n{id_line}" if prompt else id_line)
    return "\n\n".join(blocks)


def full_prompts_text(tasks: Sequence[Task]) -> str:
    """Return the prompts that album_caption(tasks) cuts, in full, or "" when it cuts none.

    Each prompt sits in an expandable quote, so that a long one does not fill the chat.
    """
    share = _prompt_share(tasks)
    blocks = [
        f"📝 Full prompt of task {task_id_code(task.id)}:\n"
        f"<blockquote expandable>{escape(task.prompt)}</blockquote>"
        for task in tasks
        if task.prompt and _caption_prompt(task, share) != task.prompt
    ]
    return "\n\n".join(blocks)


def unsent_images_text(images: Sequence[tuple[str, str | None, str]], caption: str = "") -> str:
    """Return a text that links each image Telegram did not take, with the reason.

    `images` holds (URL, task id or None, reason) triples. `caption` is the album's caption,
    given when no message of the album carried it, and goes first.
    """
    if len(images) == 1:
        header = "⚠️ This image could not be sent as a photo or a file, so here is its link:"
    else:
        header = (
            f"⚠️ {len(images)} images could not be sent as photos or files, "
            "so here are their links:"
        )

    lines = [header]
    for url, task_id, reason in images:
        link = f'<a href="{html.escape(url)}">{escape(url)}</a>'
        of_task = f" (task {task_id_code(task_id)})" if task_id else ""
        lines.append(f"• {link}{of_task}: {escape(reason)}.")

    text = "\n".join(lines)
    return f"{caption}\n\n{text}" if caption else text


def _caption_id_line(task: Task) -> str:
    return f"🆔 {task_id_code(task.id)}"


def _prompt_share(tasks: Sequence[Task]) -> int:
    """Return how many UTF-16 code units of the caption each task's prompt may take."""
    # Each block adds a new line before its id line and a blank line before the next block.
    fixed_length = sum(visible_length(_caption_id_line(task)) for task in tasks) + 3 * len(tasks)
    return max(0, (MAX_CAPTION_LENGTH - fixed_length) // max(1, len(tasks)))


def _caption_prompt(task: Task, share: int) -> str:
    """Return a task's prompt as plain text, cut to its share of the caption."""
    if not task.prompt or share <= 1:
        return ""
    return cut_plain(task.prompt, share - 1)


def _failure_reason(task: Task) -> str:
    reason = task.error_message or "the API gave no reason"
    if task.error_code and task.error_code not in reason:
        reason = f"{reason} ({task.error_code})"
    return reason


def _running_for(task: Task, now: float) -> str:
    if task.created_at is None:
        return ""
    return f", started {format_age(now - task.created_at)} ago"


def watching_text(task_ids: Sequence[str]) -> str:
    """Return the note that running tasks are now watched in this chat."""
    if len(task_ids) == 1:
        return (
            f"👀 Watching task {task_id_code(task_ids[0])}: its images will be sent here "
            "when it finishes."
        )
    return (
        f"👀 Watching {len(task_ids)} running tasks: their images will be sent here when "
        "each finishes."
    )


def watch_added_text(added: Sequence[str], already: Sequence[str], over_limit: Sequence[str],
                     limit: int) -> str:
    """Return the reply to /watch: what was added, what was watched already, what did not fit."""
    lines = []
    if added:
        lines.append(
            f"👀 Now watching {_count(len(added), 'task')}: the images will be sent here when "
            "each finishes."
        )
        lines.extend(f"• {task_id_code(task_id)}" for task_id in added)
    if already:
        lines.append(f"Already watched here: {_count(len(already), 'task')}.")
        lines.extend(f"• {task_id_code(task_id)}" for task_id in already)
    if over_limit:
        not_added = _count(len(over_limit), "task")
        lines.append(
            f"⚠️ {not_added} not added, because this chat already watches {limit} tasks, the "
            "maximum. Remove some with /unwatch first."
        )
        lines.extend(f"• {task_id_code(task_id)}" for task_id in over_limit)
    return "\n".join(lines)


def polling_paused_text() -> str:
    return (
        "⚠️ The task API rejects this bot's AceData API token at the moment, so watched tasks "
        "are not checked until the bot's operator fixes the token."
    )


def watch_usage_text() -> str:
    return (
        "Send /watch followed by one or more task ids. The bot checks them every few seconds "
        "and sends the images here when each finishes, for example:\n"
        f"/watch <code>{EXAMPLE_TASK_ID}</code>"
    )


def unwatch_usage_text() -> str:
    return (
        "Send /unwatch followed by task ids to stop watching them, or /unwatch all to stop "
        "watching every task of this chat. /watches lists them."
    )


def unwatched_text(removed: Sequence[str], not_watched: Sequence[str]) -> str:
    lines = []
    if removed:
        lines.append(f"Stopped watching {_count(len(removed), 'task')}.")
        lines.extend(f"• {task_id_code(task_id)}" for task_id in removed)
    if not_watched:
        lines.append(f"Not watched in this chat: {_count(len(not_watched), 'task')}.")
        lines.extend(f"• {task_id_code(task_id)}" for task_id in not_watched)
    return "\n".join(lines)


def unwatched_all_text(count: int) -> str:
    if count == 0:
        return "This chat watches no tasks."
    if count == 1:
        return "Stopped watching the only task of this chat."
    return f"Stopped watching all {count} tasks of this chat."


def unwatched_own_text(count: int) -> str:
    """Return the reply to /unwatch all from a group member who is not an administrator."""
    return (
        f"Stopped watching the {_count(count, 'task')} you added here. Only the group's "
        "administrators can stop the watches that others added."
    )


def watch_list_text(watches: Sequence[WatchLine], limit: int, now: float) -> str:
    """Return the /watches list: a line per open watch with its age, oldest first."""
    if not watches:
        return "This chat watches no tasks. Add one with /watch followed by a task id."

    lines = [f"<b>Watched tasks: {len(watches)} of at most {limit}</b>"]
    for watch in watches:
        state = "not returned by the API yet" if watch.misses else "running"
        topic = f", topic {watch.thread_id}" if watch.thread_id else ""
        lines.append(
            f"⏳ {task_id_code(watch.task_id)} {state}, watched for "
            f"{format_age(now - watch.added_at)}{topic}"
        )
    return "\n".join(lines)


def watch_expired_text(task_ids: Sequence[str], timeout_hours: float) -> str:
    hours = f"{timeout_hours:g} h"
    if len(task_ids) == 1:
        return (
            f"⌛ Stopped watching task {task_id_code(task_ids[0])}: it did not finish within "
            f"{hours}. Send /task {task_ids[0]} to check it again."
        )
    lines = [f"⌛ Stopped watching {len(task_ids)} tasks: they did not finish within {hours}."]
    lines.extend(f"• {task_id_code(task_id)}" for task_id in task_ids)
    return "\n".join(lines)


def watch_not_found_text(task_id: str, misses: int) -> str:
    return (
        f"🔍 Stopped watching task {task_id_code(task_id)}: the API did not return it in "
        f"{misses} polls in a row. Check the id with /task {task_id}."
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
