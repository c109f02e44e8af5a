"""Texts about watch lists: /watch, /unwatch, /watches and the poller's notices, in Telegram's
HTML parse mode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.html_text import escape
from bot.i18n import Translator
from bot.render import EXAMPLE_TASK_ID, format_age


class WatchLine(Protocol):
    """The fields of a watch that the /watches list shows."""

    task_id: str
    thread_id: int | None
    added_at: float
    misses: int


def watching_text(t: Translator, task_ids: Sequence[str]) -> str:
    """Return the note that running tasks are now watched in this chat."""
    if len(task_ids) == 1:
        return t.gettext(
            "👀 Watching task <code>{task_id}</code>: its images will be sent here when it "
            "finishes."
        ).format(task_id=escape(task_ids[0]))
    return t.ngettext(
        "👀 Watching {count} running task: its images will be sent here when it finishes.",
        "👀 Watching {count} running tasks: their images will be sent here when each finishes.",
        len(task_ids),
    ).format(count=len(task_ids))


def watch_added_text(
    t: Translator,
    added: Sequence[str],
    already: Sequence[str],
    over_limit: Sequence[str],
    limit: int,
) -> str:
    """Return the reply to /watch: what was added, what was watched already, what did not fit."""
    lines = []
    if added:
        lines.append(
            t.ngettext(
                # /watch stores a watch without looking the task up, so the task may be done.
                "👀 Now watching {count} task: its images will be sent here when it is done, "
                "at once if it already is.",
                "👀 Now watching {count} tasks: the images of each will be sent here when it "
                "is done, at once if it already is.",
                len(added),
            ).format(count=len(added))
        )
        lines.extend(_bullets(added))
    if already:
        lines.append(
            t.ngettext(
                "Already watched here: {count} task.",
                "Already watched here: {count} tasks.",
                len(already),
            ).format(count=len(already))
        )
        lines.extend(_bullets(already))
    if over_limit:
        lines.append(
            t.ngettext(
                "⚠️ {count} task not added, because this chat already watches the maximum "
                "number of tasks ({limit}). Remove some with /unwatch first.",
                "⚠️ {count} tasks not added, because this chat already watches the maximum "
                "number of tasks ({limit}). Remove some with /unwatch first.",
                len(over_limit),
            ).format(count=len(over_limit), limit=limit)
        )
        lines.extend(_bullets(over_limit))
    return "\n".join(lines)


def polling_paused_text(t: Translator) -> str:
    return t.gettext(
        "⚠️ The task API rejects this bot's AceData API token at the moment, so watched tasks "
        "are not checked until the bot's operator fixes the token."
    )


def watch_usage_text(t: Translator) -> str:
    return t.gettext(
        "Send /watch followed by one or more task ids. The bot checks them every few seconds "
        "and sends the images here when each finishes, for example:\n"
        "/watch <code>{example}</code>"
    ).format(example=EXAMPLE_TASK_ID)


def watch_invalid_ids_text(t: Translator) -> str:
    """Return the line that follows the invalid ids of a /watch, which adds nothing."""
    return t.gettext("Nothing was added. Fix the ids and send /watch again.")


def unwatch_usage_text(t: Translator) -> str:
    return t.gettext(
        "Send /unwatch followed by task ids to stop watching them, or /unwatch all to stop "
        "watching every task of this chat. /watches lists them."
    )


def unwatched_text(t: Translator, removed: Sequence[str], not_watched: Sequence[str]) -> str:
    lines = []
    if removed:
        lines.append(
            t.ngettext(
                "Stopped watching {count} task.", "Stopped watching {count} tasks.", len(removed)
            ).format(count=len(removed))
        )
        lines.extend(_bullets(removed))
    if not_watched:
        lines.append(
            t.ngettext(
                "Not watched in this chat: {count} task.",
                "Not watched in this chat: {count} tasks.",
                len(not_watched),
            ).format(count=len(not_watched))
        )
        lines.extend(_bullets(not_watched))
    return "\n".join(lines)


def unwatched_all_text(t: Translator, count: int) -> str:
    if count == 0:
        return t.gettext("This chat watches no tasks.")
    if count == 1:
        return t.gettext("Stopped watching the only task of this chat.")
    return t.ngettext(
        "Stopped watching all {count} task of this chat.",
        "Stopped watching all {count} tasks of this chat.",
        count,
    ).format(count=count)


def unwatched_own_text(t: Translator, count: int) -> str:
    """Return the reply to /unwatch all from a group member who is not an administrator."""
    return t.ngettext(
        "Stopped watching the {count} task you added here. Only the group's administrators "
        "can stop the watches that others added.",
        "Stopped watching the {count} tasks you added here. Only the group's administrators "
        "can stop the watches that others added.",
        count,
    ).format(count=count)


def stopped_watching_notice(t: Translator, count: int) -> str:
    """Return the plain text shown after a press of "Stop watching"."""
    if count == 0:
        return t.gettext("Not watched anymore.")
    return t.ngettext(
        "Stopped watching {count} task.", "Stopped watching {count} tasks.", count
    ).format(count=count)


def watch_list_text(t: Translator, watches: Sequence[WatchLine], limit: int, now: float) -> str:
    """Return the /watches list: a line per open watch with its age, oldest first."""
    if not watches:
        return t.gettext("This chat watches no tasks. Add one with /watch followed by a task id.")

    lines = [
        t.gettext("<b>Watched tasks: {count} of at most {limit}</b>").format(
            count=len(watches), limit=limit
        )
    ]
    for watch in watches:
        if watch.misses and watch.thread_id:
            line = t.gettext(
                "⏳ <code>{task_id}</code> not returned by the API yet, watched for {age}, "
                "topic {topic}"
            )
        elif watch.misses:
            line = t.gettext(
                "⏳ <code>{task_id}</code> not returned by the API yet, watched for {age}"
            )
        elif watch.thread_id:
            line = t.gettext("⏳ <code>{task_id}</code> running, watched for {age}, topic {topic}")
        else:
            line = t.gettext("⏳ <code>{task_id}</code> running, watched for {age}")
        lines.append(
            line.format(
                task_id=escape(watch.task_id),
                age=format_age(t, now - watch.added_at),
                topic=watch.thread_id,
            )
        )
    return "\n".join(lines)


def watch_expired_text(t: Translator, task_ids: Sequence[str], timeout_hours: float) -> str:
    hours = f"{timeout_hours:g}"
    if len(task_ids) == 1:
        return t.gettext(
            "⌛ Stopped watching task <code>{task_id}</code>: it did not finish within "
            "{hours} h. Send /task {task_id} to check it again."
        ).format(task_id=escape(task_ids[0]), hours=hours)
    lines = [
        t.ngettext(
            "⌛ Stopped watching {count} task: it did not finish within {hours} h.",
            "⌛ Stopped watching {count} tasks: they did not finish within {hours} h.",
            len(task_ids),
        ).format(count=len(task_ids), hours=hours)
    ]
    lines.extend(_bullets(task_ids))
    return "\n".join(lines)


def watch_not_found_text(t: Translator, task_id: str, misses: int) -> str:
    return t.ngettext(
        "🔍 Stopped watching task <code>{task_id}</code>: the API did not return it in "
        "{count} poll. Check the id with /task {task_id}.",
        "🔍 Stopped watching task <code>{task_id}</code>: the API did not return it in "
        "{count} polls in a row. Check the id with /task {task_id}.",
        misses,
    ).format(task_id=escape(task_id), count=misses)


def _bullets(task_ids: Sequence[str]) -> list[str]:
    return [f"• <code>{escape(task_id)}</code>" for task_id in task_ids]
