"""Texts and captions about tasks, help and menus, in Telegram's HTML parse mode.

Each text function takes the Translator of the chat's language first. User values are
escaped before they fill a placeholder, and placeholders are filled after translation.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

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
from bot.i18n import LANGUAGE_NAMES, SOURCE_LANGUAGE, Translator
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
    # The language of the album's texts: the full prompts, and the links to images that
    # could not be sent.
    language: str = SOURCE_LANGUAGE


def help_text(t: Translator, max_batch_ids: int, create_enabled: bool = False) -> str:
    """Return the reply to /help: what the bot does, then each command with an example."""
    example = f"<code>{EXAMPLE_TASK_ID}</code>"
    entries = [
        (f"/task {example}",
         t.gettext("Show one task: its images when finished, else its state.")),
        (f"/batch <code>{EXAMPLE_TASK_ID} {EXAMPLE_TASK_ID_2}</code>",
         t.ngettext(
             "Show up to {count} task at once. Separate the ids with spaces, commas or new "
             "lines.",
             "Show up to {count} tasks at once. Separate the ids with spaces, commas or new "
             "lines.",
             max_batch_ids,
         ).format(count=max_batch_ids)),
        (f"/watch {example}",
         t.gettext(
             "Watch tasks in this chat: their images are sent here when each finishes. "
             "/task and /batch watch running tasks by themselves."
         )),
        (t.gettext("/unwatch {example} or /unwatch all").format(example=example),
         t.gettext("Stop watching tasks.")),
        ("/watches", t.gettext("List the tasks this chat watches.")),
    ]
    if create_enabled:
        entries += [
            (t.gettext("/imagine <code>a lighthouse at dusk --ar 16:9 --n 2</code>"),
             t.gettext(
                 "Start a generation. Its images are sent here when it finishes. "
                 "Options: --model, --ar, --res, --n."
             )),
            (t.gettext("/edit <code>make the sky purple</code>"),
             t.gettext("Edit a photo. Send it as a reply to the photo, or with image URLs.")),
        ]
    entries += [
        (f"/lang <code>{_other_language(t)}</code>",
         t.gettext("Choose this chat's language. Languages: {choices}.").format(
             choices=language_choices(t)
         )),
        ("/help", t.gettext("Show what this bot does and its commands.")),
    ]

    commands = "\n\n".join(f"{usage}\n{explanation}" for usage, explanation in entries)
    return (
        t.gettext("<b>Nano Banana task bot</b>")
        + "\n"
        + t.gettext(
            "Shows the images of your Nano Banana generations on AceData Cloud, "
            "or tells you how a task is doing."
        )
        + "\n\n"
        + t.gettext("<b>Commands</b>")
        + f"\n{commands}\n\n"
        + t.gettext(
            "A task id is the <code>task_id</code> the Nano Banana Images API returned "
            "when the generation started."
        )
    )


def command_menu(
    t: Translator, max_batch_ids: int, create_enabled: bool = False
) -> list[tuple[str, str]]:
    """Return the commands of Telegram's command menu with their descriptions.

    Each description is the first sentence of the command's entry in help_text, and the
    order is the same, so the menu and /help agree.
    """
    create = []
    if create_enabled:
        create = [("imagine", t.gettext("Start a generation")), ("edit", t.gettext("Edit a photo"))]
    return [
        ("task", t.gettext("Show one task: its images when finished, else its state")),
        ("batch", t.ngettext(
            "Show up to {count} task at once", "Show up to {count} tasks at once", max_batch_ids
        ).format(count=max_batch_ids)),
        ("watch", t.gettext(
            "Watch tasks in this chat: their images are sent here when each finishes"
        )),
        ("unwatch", t.gettext("Stop watching tasks")),
        ("watches", t.gettext("List the tasks this chat watches")),
        *create,
        ("lang", t.gettext("Choose this chat's language")),
        ("help", t.gettext("Show what this bot does and its commands")),
    ]


def language_choices(t: Translator) -> str:
    """Return the languages /lang takes, as "en (English), zh (简体中文)"."""
    # Translators: a code that /lang takes, with the name of its language in that language.
    choice = t.gettext("{code} ({name})")
    return join_list(t, [choice.format(code=code, name=name) for code, name in LANGUAGE_NAMES.items()])


def join_list(t: Translator, items: Sequence[str]) -> str:
    # Translators: the separator between the items of a list, such as "3 finished, 1 failed".
    return t.gettext(", ").join(items)


def _other_language(t: Translator) -> str:
    return next(code for code in LANGUAGE_NAMES if code != t.language)


def echo(value: str) -> str:
    """Return a user's input, cut and escaped, for repeating it back inside <code> markup."""
    return escape(cut_plain(value, _MAX_ECHO_LENGTH))


def invalid_id_text(t: Translator, value: str) -> str:
    return t.gettext(
        "⚠️ <code>{value}</code> is not a valid task id. A task id is a UUID such as "
        "<code>{example}</code>."
    ).format(value=echo(value), example=EXAMPLE_TASK_ID)


def task_usage_text(t: Translator) -> str:
    return t.gettext(
        "Send /task followed by a task id, for example:\n/task <code>{example}</code>"
    ).format(example=EXAMPLE_TASK_ID)


def task_too_many_ids_text(t: Translator, count: int) -> str:
    return t.ngettext(
        "/task takes one task id, and this message has {count}. "
        "To look up several tasks at once, send /batch followed by the ids.",
        "/task takes one task id, and this message has {count}. "
        "To look up several tasks at once, send /batch followed by the ids.",
        count,
    ).format(count=count)


def batch_usage_text(t: Translator, max_batch_ids: int) -> str:
    return t.ngettext(
        "Send /batch followed by up to {count} task id, separated by spaces, commas or new "
        "lines, for example:\n/batch <code>{example}</code>",
        "Send /batch followed by up to {count} task ids, separated by spaces, commas or new "
        "lines, for example:\n/batch <code>{example}</code>",
        max_batch_ids,
    ).format(count=max_batch_ids, example=f"{EXAMPLE_TASK_ID} {EXAMPLE_TASK_ID_2}")


def batch_too_many_ids_text(
    t: Translator, count: int, max_batch_ids: int, command: str = "/batch"
) -> str:
    return t.ngettext(
        "⚠️ This {command} has {count} different task id, and one {command} takes at most "
        "{max_ids}. Split them over several {command} messages.",
        "⚠️ This {command} has {count} different task ids, and one {command} takes at most "
        "{max_ids}. Split them over several {command} messages.",
        count,
    ).format(command=command, count=count, max_ids=max_batch_ids)


def format_age(t: Translator, seconds: float) -> str:
    """Format a duration in short units: "45 s", "3 min", "2 h 5 min", "3 days"."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        # Translators: short units of a duration, as in "started 3 min ago".
        return t.gettext("{seconds} s").format(seconds=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return t.gettext("{minutes} min").format(minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        if minutes:
            return t.gettext("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
        return t.gettext("{hours} h").format(hours=hours)
    days = hours // 24
    return t.ngettext("{days} day", "{days} days", days).format(days=days)


def task_id_code(task_id: str) -> str:
    return f"<code>{escape(task_id)}</code>"


def pending_text(t: Translator, task: Task, now: float) -> str:
    if task.created_at is None:
        status = t.gettext("⏳ Task <code>{task_id}</code> is still running.")
    else:
        status = t.gettext("⏳ Task <code>{task_id}</code> is still running, started {age} ago.")
    lines = [status.format(task_id=escape(task.id), age=_age_of(t, task, now))]
    return _with_prompt(t, lines, task)


def failed_text(t: Translator, task: Task) -> str:
    line = t.gettext("❌ Task <code>{task_id}</code> failed: {reason}").format(
        task_id=escape(task.id), reason=escape(_failure_reason(t, task))
    )
    return _with_prompt(t, [line], task)


def refreshed_finished_text(t: Translator, task: Task, *, sent_earlier: bool) -> str:
    """Return the text that replaces a running task's message once the task finished with
    images, after a press of "Refresh"."""
    count = len(task.images)
    if sent_earlier:
        line = t.ngettext(
            "✅ Task <code>{task_id}</code> finished with {count} image, sent to this chat "
            "earlier.",
            "✅ Task <code>{task_id}</code> finished with {count} images, sent to this chat "
            "earlier.",
            count,
        )
    else:
        line = t.ngettext(
            "✅ Task <code>{task_id}</code> finished with {count} image, sent as a reply to "
            "this message.",
            "✅ Task <code>{task_id}</code> finished with {count} images, sent as a reply to "
            "this message.",
            count,
        )
    return _with_prompt(t, [line.format(task_id=escape(task.id), count=count)], task)


def refresh_notice(t: Translator, task: Task | None, *, sent_earlier: bool) -> str:
    """Return the short plain text that Telegram shows on top of the chat after a press of
    "Refresh"."""
    if task is None:
        return t.gettext("The task API did not return this task. Try again later.")
    if task.state is TaskState.PENDING:
        return t.gettext("Still running.")
    if task.state is TaskState.FAILED:
        return t.gettext("The task failed.")
    if task.images and not sent_earlier:
        return t.gettext("Finished: sending the images.")
    return t.gettext("Finished.")


def no_images_text(t: Translator, task: Task) -> str:
    return t.gettext(
        "✅ Task <code>{task_id}</code> finished, but the API returned no images for it."
    ).format(task_id=escape(task.id))


def not_found_text(t: Translator, task_id: str) -> str:
    return t.gettext(
        "🔍 Task <code>{task_id}</code> was not found. Check the id. The bot only sees "
        "tasks created with its operator's AceData account."
    ).format(task_id=escape(task_id))


def api_error_text(t: Translator, error: TaskApiError, api: str | None = None) -> str:
    """Return a sentence for the user about a failed call of `api`, by default the task API,
    without internals."""
    # Translators: the API that {api} names in the messages below.
    api = api or t.gettext("task API")
    if isinstance(error, InvalidTokenError):
        text = t.gettext(
            "⚠️ The {api} rejected this bot's AceData API token, so it cannot be used now. "
            "Please ask the bot's operator to check the token."
        )
    elif isinstance(error, ApiNotImplementedError):
        text = t.gettext(
            "⚠️ The {api} is not available to this bot's AceData account. "
            "Please ask the bot's operator to check the account."
        )
    elif isinstance(error, TooManyRequestsError):
        text = t.gettext(
            "⚠️ The {api} is receiving too many requests. Please try again in a minute."
        )
    elif isinstance(error, ApiTimeoutError):
        text = t.gettext("⚠️ The {api} did not answer in time. Please try again in a few minutes.")
    elif isinstance(error, ApiConnectionError):
        text = t.gettext("⚠️ The bot could not reach the {api}. Please try again in a few minutes.")
    elif isinstance(error, ServerError):
        text = t.gettext("⚠️ The {api} failed on its side. Please try again in a few minutes.")
    elif isinstance(error, InvalidResponseError):
        text = t.gettext(
            "⚠️ The {api} sent a response the bot cannot read. Please try again later."
        )
    else:
        text = t.gettext("⚠️ The {api} rejected the request: {message}")
    return text.format(api=api, message=escape(cut_plain(error.message, 200)))


def no_valid_ids_text(t: Translator, invalid: Sequence[str]) -> str:
    """Return the reply to a /batch in which no value is a task id."""
    lines = _invalid_lines(t, invalid)
    lines.append(
        t.gettext("Nothing was looked up. A task id is a UUID such as <code>{example}</code>.")
        .format(example=EXAMPLE_TASK_ID)
    )
    return "\n".join(lines)


def batch_summary_text(
    t: Translator,
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
            lines.append(
                t.gettext("🔍 <code>{task_id}</code> not found").format(task_id=escape(task_id))
            )
            continue
        counts[task.state] += 1
        lines.append(_batch_line(t, task, now))

    not_found = len(task_ids) - sum(counts.values())
    parts = [
        t.gettext("{count} finished").format(count=counts[TaskState.SUCCEEDED]),
        t.gettext("{count} running").format(count=counts[TaskState.PENDING]),
        t.gettext("{count} failed").format(count=counts[TaskState.FAILED]),
    ]
    if not_found:
        parts.append(t.gettext("{count} not found").format(count=not_found))
    if invalid:
        parts.append(t.gettext("{count} invalid").format(count=len(invalid)))
    lines.extend(_invalid_lines(t, invalid))

    total = len(task_ids) + len(invalid)
    header = t.ngettext("<b>{count} task</b>: {summary}", "<b>{count} tasks</b>: {summary}", total)
    return "\n".join([header.format(count=total, summary=join_list(t, parts)), *lines])


def _invalid_lines(t: Translator, invalid: Sequence[str]) -> list[str]:
    """Return a line for each of the first invalid values, then one that counts the rest."""
    lines = [
        t.gettext("⚠️ <code>{value}</code> is not a valid task id").format(value=echo(value))
        for value in invalid[:MAX_INVALID_SHOWN]
    ]
    rest = len(invalid) - MAX_INVALID_SHOWN
    if rest > 0:
        lines.append(
            t.ngettext(
                "⚠️ and {count} more value that is not a task id",
                "⚠️ and {count} more values that are not task ids",
                rest,
            ).format(count=rest)
        )
    return lines


def _batch_line(t: Translator, task: Task, now: float) -> str:
    task_id = escape(task.id)
    if task.state is TaskState.SUCCEEDED:
        count = len(task.images)
        return t.ngettext(
            "✅ <code>{task_id}</code> finished, {count} image",
            "✅ <code>{task_id}</code> finished, {count} images",
            count,
        ).format(task_id=task_id, count=count)
    if task.state is TaskState.FAILED:
        return t.gettext("❌ <code>{task_id}</code> failed: {reason}").format(
            task_id=task_id, reason=escape(cut_plain(_failure_reason(t, task), 120))
        )
    if task.created_at is None:
        return t.gettext("⏳ <code>{task_id}</code> still running").format(task_id=task_id)
    return t.gettext("⏳ <code>{task_id}</code> still running, started {age} ago").format(
        task_id=task_id, age=_age_of(t, task, now)
    )


def plan_albums(t: Translator, tasks: Sequence[Task]) -> list[Album]:
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
                full_prompts=full_prompts_text(t, album_tasks),
                language=t.language,
            )
        )
    return albums


def album_caption(tasks: Sequence[Task]) -> str:
    """Return a caption under Telegram's 1024-character limit naming each task and its prompt.

    Prompts are cut as plain text before escaping, so a cut never falls inside a tag or an
    entity. Each task gets an equal share of the room left by the fixed parts. The caption
    has no words to translate.
    """
    share = _prompt_share(tasks)
    blocks = []
    for task in tasks:
        id_line = _caption_id_line(task)
        prompt = _caption_prompt(task, share)
        blocks.append(f"{escape(prompt)}\n{id_line}" if prompt else id_line)
    return "\n\n".join(blocks)


def full_prompts_text(t: Translator, tasks: Sequence[Task]) -> str:
    """Return the prompts that album_caption(tasks) cuts, in full, or "" when it cuts none.

    Each prompt sits in an expandable quote, so that a long one does not fill the chat.
    """
    share = _prompt_share(tasks)
    text = t.gettext(
        "📝 Full prompt of task <code>{task_id}</code>:\n"
        "<blockquote expandable>{prompt}</blockquote>"
    )
    blocks = [
        text.format(task_id=escape(task.id), prompt=escape(task.prompt))
        for task in tasks
        if task.prompt and _caption_prompt(task, share) != task.prompt
    ]
    return "\n\n".join(blocks)


def unsent_images_text(
    t: Translator, images: Sequence[tuple[str, str | None, str]], caption: str = ""
) -> str:
    """Return a text that links each image Telegram did not take, with the reason.

    `images` contains (URL, task id or None, reason) triples, and a reason may be a LazyText.
    `caption` is the album's caption, given when no message of the album carried it, and
    goes first.
    """
    header = t.ngettext(
        "⚠️ This image could not be sent as a photo or a file, so here is its link:",
        "⚠️ {count} images could not be sent as photos or files, so here are their links:",
        len(images),
    ).format(count=len(images))

    lines = [header]
    for url, task_id, reason in images:
        values = {
            "link": f'<a href="{html.escape(url)}">{escape(url)}</a>',
            "reason": escape(t.localize(reason)),
        }
        if task_id:
            line = t.gettext("• {link} (task <code>{task_id}</code>): {reason}.")
            values["task_id"] = escape(task_id)
        else:
            line = t.gettext("• {link}: {reason}.")
        lines.append(line.format(**values))

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


def _with_prompt(t: Translator, lines: list[str], task: Task) -> str:
    """Join a task's status lines, followed by the start of its prompt when it has one."""
    if task.prompt:
        lines.append(
            t.gettext("Prompt: {prompt}").format(
                prompt=escape(cut_plain(task.prompt, _MAX_PROMPT_EXCERPT))
            )
        )
    return "\n".join(lines)


def _failure_reason(t: Translator, task: Task) -> str:
    """Return the API's reason for a failed task, which stays in the API's language."""
    reason = task.error_message or t.gettext("the API gave no reason")
    if task.error_code and task.error_code not in reason:
        reason = f"{reason} ({task.error_code})"
    return reason


def _age_of(t: Translator, task: Task, now: float) -> str:
    """Return how long ago a task started, or "" when the API returned no start time."""
    if task.created_at is None:
        return ""
    return format_age(t, now - task.created_at)
