"""/imagine and /edit: start a generation, then watch it so its images arrive in the chat."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Literal

from telegram import Message, Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from bot.api_errors import ApiConnectionError, ApiTimeoutError, TaskApiError
from bot.chat_languages import translator_for
from bot.create_args import ArgumentError, CreateArguments, parse_create_arguments
from bot.create_texts import (
    argument_error_text,
    chat_watch_limit_text,
    create_disabled_text,
    create_error_text,
    create_not_allowed_text,
    daily_limit_text,
    edit_image_missing_text,
    edit_image_problem_text,
    edit_usage_text,
    imagine_usage_text,
    start_unknown_text,
    started_text,
)
from bot.deliver import Destination
from bot.edit_images import EditImageError, download_telegram_image, replied_image_file_id, to_data_uri
from bot.handlers import command_argument, destination_of
from bot.i18n import N_, Translator
from bot.images_api import ImageRequest
from bot.services import Services, services_of
from bot.watching import STOP_TASK_PREFIX, stop_watching_markup

logger = logging.getLogger(__name__)

# Images one /edit sends to the API at most. The API does not document its own maximum.
MAX_EDIT_IMAGES = 5


async def imagine_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start a generation from a prompt and options, and watch it in this chat."""
    message = update.effective_message
    if message is None:
        return

    services = services_of(context)
    t = await translator_for(services, message.chat_id, message.from_user)
    destination = destination_of(message)
    if not await _may_create(services, message, destination, t):
        return

    arguments = await _parse(services, message, destination, t, collect_urls=False)
    if arguments is None:
        return
    if not arguments.prompt:
        await services.delivery.send_text(
            destination, imagine_usage_text(t), reply_to=message.message_id
        )
        return

    await _start(services, message, destination, t, _image_request("generate", arguments))


async def edit_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start an edit of the replied photo or of image URLs, and watch it in this chat."""
    message = update.effective_message
    if message is None:
        return

    services = services_of(context)
    t = await translator_for(services, message.chat_id, message.from_user)
    destination = destination_of(message)
    reply_to = message.message_id
    if not await _may_create(services, message, destination, t):
        return

    arguments = await _parse(services, message, destination, t, collect_urls=True)
    if arguments is None:
        return
    file_id = replied_image_file_id(message)
    if file_id is None and not arguments.image_urls:
        await services.delivery.send_text(
            destination, edit_image_missing_text(t), reply_to=reply_to
        )
        return
    if not arguments.prompt:
        await services.delivery.send_text(destination, edit_usage_text(t), reply_to=reply_to)
        return

    image_urls = list(arguments.image_urls)
    if file_id is not None:
        try:
            data = await download_telegram_image(message.get_bot(), file_id)
            image_urls.insert(0, await asyncio.to_thread(to_data_uri, data))
        except EditImageError as error:
            logger.info("Chat %s: /edit image rejected: %s", message.chat_id, error)
            await services.delivery.send_text(
                destination, edit_image_problem_text(t, str(error)), reply_to=reply_to
            )
            return
    if len(image_urls) > MAX_EDIT_IMAGES:
        await services.delivery.send_text(
            destination,
            argument_error_text(
                t,
                N_(
                    "This /edit has {count} images, and one /edit takes at most {max_count}.",
                    count=len(image_urls),
                    max_count=MAX_EDIT_IMAGES,
                ),
            ),
            reply_to=reply_to,
        )
        return

    request = _image_request("edit", arguments, image_urls)
    await _start(services, message, destination, t, request)


async def _may_create(
    services: Services, message: Message, destination: Destination, t: Translator
) -> bool:
    """Tell whether creation is on and open to the sender, telling the chat when it is not."""
    settings = services.settings
    if not settings.allow_create:
        text = create_disabled_text(t)
    elif settings.allowed_user_ids and (
        message.from_user is None or message.from_user.id not in settings.allowed_user_ids
    ):
        text = create_not_allowed_text(t)
    else:
        return True
    await services.delivery.send_text(destination, text, reply_to=message.message_id)
    return False


async def _parse(
    services: Services,
    message: Message,
    destination: Destination,
    t: Translator,
    *,
    collect_urls: bool,
) -> CreateArguments | None:
    try:
        return parse_create_arguments(command_argument(message), collect_urls=collect_urls)
    except ArgumentError as error:
        await services.delivery.send_text(
            destination, argument_error_text(t, str(error)), reply_to=message.message_id
        )
        return None


async def _start(
    services: Services,
    message: Message,
    destination: Destination,
    t: Translator,
    request: ImageRequest,
) -> None:
    """Reserve the user's daily images, start the task, then watch it and reply with its id."""
    settings = services.settings
    reply_to = message.message_id
    watch_limit = settings.watch_limit_per_chat
    if await services.store.count_open(message.chat_id) >= watch_limit:
        await services.delivery.send_text(
            destination, chat_watch_limit_text(t, watch_limit), reply_to=reply_to
        )
        return

    user_key = _user_key(message)
    day = datetime.now(timezone.utc).date().isoformat()
    daily_limit = settings.create_images_per_user_per_day
    used = await services.store.reserve_images(user_key, day, request.image_count, daily_limit)
    if used is None:
        used_before = await services.store.images_used(user_key, day)
        await services.delivery.send_text(
            destination,
            daily_limit_text(t, request.image_count, used_before, daily_limit),
            reply_to=reply_to,
        )
        return

    async with services.delivery.chat_action(destination, ChatAction.TYPING):
        try:
            task_id = await services.images.start(request, callback_url=services.callback_url)
        except (ApiTimeoutError, ApiConnectionError) as error:
            if isinstance(error, ApiConnectionError) and not error.request_sent:
                await services.store.release_images(user_key, day, request.image_count)
                await services.delivery.send_text(
                    destination, create_error_text(t, error), reply_to=reply_to
                )
            else:
                # The API may have started the task, so the images stay counted.
                await services.delivery.send_text(
                    destination, start_unknown_text(t), reply_to=reply_to
                )
            logger.warning("Chat %s: starting a %s task failed: %s", message.chat_id, request.action, error)
            return
        except TaskApiError as error:
            await services.store.release_images(user_key, day, request.image_count)
            logger.info("Chat %s: the images API rejected a %s: %s", message.chat_id, request.action, error)
            await services.delivery.send_text(
                destination, create_error_text(t, error), reply_to=reply_to
            )
            return

        # The chat may have reached its limit meanwhile; the task is watched anyway, because
        # its images were paid for.
        await services.store.add_watches(
            message.chat_id,
            destination.thread_id,
            [task_id],
            added_by=message.from_user.id if message.from_user else None,
            now=time.time(),
            limit=watch_limit + 1,
            source_message_id=message.message_id,
            language=t.language,
        )
        await services.delivery.send_text(
            destination,
            started_text(t, task_id, request, used, daily_limit),
            reply_to=reply_to,
            reply_markup=stop_watching_markup(t, STOP_TASK_PREFIX + task_id),
        )


def _image_request(
    action: Literal["generate", "edit"], arguments: CreateArguments, image_urls: Sequence[str] = ()
) -> ImageRequest:
    return ImageRequest(
        action=action,
        prompt=arguments.prompt,
        model=arguments.model,
        aspect_ratio=arguments.aspect_ratio,
        resolution=arguments.resolution,
        count=arguments.count,
        image_urls=tuple(image_urls),
    )


def _user_key(message: Message) -> int:
    """Return whose daily images a creation counts against.

    Anonymous administrators all post as the group itself, so they share the group's count.
    """
    if message.sender_chat is not None:
        return message.sender_chat.id
    if message.from_user is not None:
        return message.from_user.id
    return message.chat_id
