"""Texts of /imagine and /edit, in Telegram's HTML parse mode."""

from __future__ import annotations

from bot.api_errors import (
    ContentRejectedError,
    InsufficientBalanceError,
    RequestTooLargeError,
    TaskApiError,
)
from bot.create_args import OPTION_HELP
from bot.html_text import cut_plain, escape
from bot.images_api import ASPECT_RATIOS, MAX_COUNT, MODELS, RESOLUTIONS, ImageRequest
from bot.render import api_error_text, task_id_code


def imagine_usage_text() -> str:
    return (
        "Send /imagine followed by a prompt, and options if you like, for example:\n"
        "/imagine a lighthouse at dusk, oil painting --ar 16:9 --res 2K --n 2\n\n"
        f"{options_text()}"
    )


def edit_usage_text() -> str:
    return (
        "Reply to a photo with /edit followed by what to change, for example:\n"
        "/edit make the sky purple\n"
        "Or put image URLs after /edit: /edit https://example.com/cat.png add a hat\n\n"
        f"{options_text()}"
    )


def options_text() -> str:
    return (
        f"Options: --model ({', '.join(MODELS)}), --ar ({' '.join(ASPECT_RATIOS)}), "
        f"--res ({' '.join(RESOLUTIONS)}), --n (1 to {MAX_COUNT} images)."
    )


def argument_error_text(message: str) -> str:
    return f"⚠️ {escape(message)}\nNothing was created. Options: {OPTION_HELP}."


def create_disabled_text() -> str:
    return (
        "Creating images is turned off on this bot. Its operator can turn it on with the "
        "ALLOW_CREATE setting."
    )


def create_not_allowed_text() -> str:
    return "Creating images on this bot is open only to the users its operator listed."


def daily_limit_text(requested: int, used: int, limit: int) -> str:
    left = max(0, limit - used)
    return (
        f"⚠️ This request asks for {requested} image{'s' if requested != 1 else ''}, and you "
        f"have {left} of your {limit} images left today (UTC). Ask for fewer with --n, or try "
        "again tomorrow."
    )


def chat_watch_limit_text(limit: int) -> str:
    return (
        f"⚠️ This chat already watches {limit} tasks, the maximum, so the bot could not "
        "deliver a new one. Remove some with /unwatch first."
    )


def started_text(task_id: str, request: ImageRequest, used: int, limit: int) -> str:
    details = [request.model or "default model"]
    if request.aspect_ratio:
        details.append(request.aspect_ratio)
    if request.resolution:
        details.append(request.resolution)
    count = request.image_count
    details.append(f"{count} image{'s' if count != 1 else ''}")
    verb = "Editing" if request.action == "edit" else "Generating"
    return (
        f"🎨 {verb}: task {task_id_code(task_id)} ({', '.join(details)}).\n"
        f"Prompt: {escape(cut_plain(request.prompt, 300))}\n"
        "The images will be sent here when it finishes. "
        f"You have {max(0, limit - used)} of your {limit} images left today."
    )


def create_error_text(error: TaskApiError) -> str:
    """Return a sentence for the user about an images API call that failed."""
    if isinstance(error, InsufficientBalanceError):
        return (
            "⚠️ The operator's AceData account has no credit left, so no images can be "
            "created. Please tell the bot's operator."
        )
    if isinstance(error, ContentRejectedError):
        return (
            "⚠️ The safety filter rejected this request. Change the prompt or the image and "
            "try again."
        )
    if isinstance(error, RequestTooLargeError):
        return (
            "⚠️ The request is too large for the API, which takes images of up to 10 MB. "
            "Send a smaller image."
        )
    return api_error_text(error, api="images API")


def edit_image_missing_text() -> str:
    return (
        "⚠️ /edit needs an image: reply with /edit to a photo, or put image URLs after /edit."
    )


def edit_image_problem_text(reason: str) -> str:
    return f"⚠️ The image could not be used: {escape(reason)}. Nothing was created."


def start_unknown_text() -> str:
    return (
        "⚠️ The images API did not answer in time. The task may or may not have started, and "
        "without its id the bot cannot watch it. Check your AceData dashboard before trying "
        "again."
    )
