"""Texts of /imagine and /edit, in Telegram's HTML parse mode; each takes the chat's Translator."""

from __future__ import annotations

from bot.api_errors import (
    ContentRejectedError,
    InsufficientBalanceError,
    RequestTooLargeError,
    TaskApiError,
)
from bot.create_args import OPTION_HELP
from bot.html_text import cut_plain, escape
from bot.i18n import Translator
from bot.images_api import ASPECT_RATIOS, MAX_COUNT, MODELS, RESOLUTIONS, ImageRequest
from bot.render import api_error_text, join_list


def imagine_usage_text(t: Translator) -> str:
    return t.gettext(
        "Send /imagine followed by a prompt, and options if you like, for example:\n"
        "/imagine a lighthouse at dusk, oil painting --ar 16:9 --res 2K --n 2"
    ) + "\n\n" + options_text(t)


def edit_usage_text(t: Translator) -> str:
    return t.gettext(
        "Reply to a photo with /edit followed by what to change, for example:\n"
        "/edit make the sky purple\n"
        "Or put image URLs after /edit: /edit https://example.com/cat.png add a hat"
    ) + "\n\n" + options_text(t)


def options_text(t: Translator) -> str:
    return t.gettext(
        "Options: --model ({models}), --ar ({aspect_ratios}), --res ({resolutions}), "
        "--n (1 to {max_count} images)."
    ).format(
        models=", ".join(MODELS),
        aspect_ratios=" ".join(ASPECT_RATIOS),
        resolutions=" ".join(RESOLUTIONS),
        max_count=MAX_COUNT,
    )


def argument_error_text(t: Translator, message: str) -> str:
    """Return the reply to invalid options; `message`, often a LazyText, names the problem."""
    return t.gettext("⚠️ {problem}\nNothing was created. Options: {options}.").format(
        problem=escape(t.localize(message)), options=OPTION_HELP
    )


def create_disabled_text(t: Translator) -> str:
    return t.gettext(
        "Creating images is turned off on this bot. Its operator can turn it on with the "
        "ALLOW_CREATE setting."
    )


def create_not_allowed_text(t: Translator) -> str:
    return t.gettext("Creating images on this bot is open only to the users its operator listed.")


def daily_limit_text(t: Translator, requested: int, used: int, limit: int) -> str:
    return t.ngettext(
        "⚠️ This request asks for {count} image, and you have {left} of your {limit} images "
        "left today (UTC). Ask for fewer with --n, or try again tomorrow.",
        "⚠️ This request asks for {count} images, and you have {left} of your {limit} images "
        "left today (UTC). Ask for fewer with --n, or try again tomorrow.",
        requested,
    ).format(count=requested, left=max(0, limit - used), limit=limit)


def chat_watch_limit_text(t: Translator, limit: int) -> str:
    return t.gettext(
        "⚠️ This chat already watches the maximum number of tasks ({limit}), so the bot could "
        "not deliver a new one. Remove some with /unwatch first."
    ).format(limit=limit)


def started_text(t: Translator, task_id: str, request: ImageRequest, used: int, limit: int) -> str:
    details = [request.model or t.gettext("default model")]
    if request.aspect_ratio:
        details.append(request.aspect_ratio)
    if request.resolution:
        details.append(request.resolution)
    count = request.image_count
    details.append(t.ngettext("{count} image", "{count} images", count).format(count=count))
    if request.action == "edit":
        text = t.gettext(
            "🎨 Editing: task <code>{task_id}</code> ({details}).\n"
            "Prompt: {prompt}\n"
            "The images will be sent here when it finishes. "
            "You have {left} of your {limit} images left today."
        )
    else:
        text = t.gettext(
            "🎨 Generating: task <code>{task_id}</code> ({details}).\n"
            "Prompt: {prompt}\n"
            "The images will be sent here when it finishes. "
            "You have {left} of your {limit} images left today."
        )
    return text.format(
        task_id=escape(task_id),
        details=join_list(t, details),
        prompt=escape(cut_plain(request.prompt, 300)),
        left=max(0, limit - used),
        limit=limit,
    )


def create_error_text(t: Translator, error: TaskApiError) -> str:
    """Return a sentence for the user about an images API call that failed."""
    if isinstance(error, InsufficientBalanceError):
        return t.gettext(
            "⚠️ The operator's AceData account has no credit left, so no images can be "
            "created. Please tell the bot's operator."
        )
    if isinstance(error, ContentRejectedError):
        return t.gettext(
            "⚠️ The safety filter rejected this request. Change the prompt or the image and "
            "try again."
        )
    if isinstance(error, RequestTooLargeError):
        return t.gettext(
            "⚠️ The request is too large for the API, which takes images of up to 10 MB. "
            "Send a smaller image."
        )
    # Translators: the API that {api} names in the API error messages.
    return api_error_text(t, error, api=t.gettext("images API"))


def edit_image_missing_text(t: Translator) -> str:
    return t.gettext(
        "⚠️ /edit needs an image: reply with /edit to a photo, or put image URLs after /edit."
    )


def edit_image_problem_text(t: Translator, reason: str) -> str:
    """Return the reply to an /edit whose image cannot be used; `reason` may be a LazyText."""
    return t.gettext("⚠️ The image could not be used: {reason}. Nothing was created.").format(
        reason=escape(t.localize(reason))
    )


def start_unknown_text(t: Translator) -> str:
    return t.gettext(
        "⚠️ The images API did not answer in time. The task may or may not have started, and "
        "without its id the bot cannot watch it. Check your AceData dashboard before trying "
        "again."
    )
