"""Command handlers: /start, /help, /task and /batch, and task ids pasted in a private chat."""

from __future__ import annotations

import logging
import time

from telegram import Message, MessageEntity, Update
from telegram.ext import ContextTypes

from bot.api_errors import TaskApiError
from bot.chat_languages import translator_for
from bot.deliver import Destination
from bot.ids import ParsedIds, parse_task_ids
from bot.render import (
    batch_too_many_ids_text,
    batch_usage_text,
    echo,
    help_text,
    invalid_id_text,
    no_valid_ids_text,
    task_too_many_ids_text,
    task_usage_text,
)
from bot.replies import send_api_error, send_batch, send_task
from bot.services import services_of
from bot.tasks import TaskState
from bot.watching import close_delivered_watches, watch_running_tasks

logger = logging.getLogger(__name__)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send what the bot does and each command with an example; /start does the same."""
    message = update.effective_message
    if message is None:
        return

    services = services_of(context)
    t = await translator_for(services, message.chat_id, message.from_user)
    await services.delivery.send_text(
        destination_of(message),
        help_text(t, services.settings.batch_max_ids, services.settings.allow_create),
        reply_to=message.message_id,
    )


async def task_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send one task's images, or its state when it has none to show."""
    message = update.effective_message
    if message is None:
        return

    parsed = parse_task_ids(command_argument(message))
    await _answer_task(message, parsed, context)


async def batch_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send a summary of many tasks, then the images of the finished ones."""
    message = update.effective_message
    if message is None:
        return

    parsed = parse_task_ids(command_argument(message))
    await _answer_batch(message, parsed, context)


async def pasted_ids_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle task ids pasted without a command in a private chat, as /task or /batch does."""
    message = update.effective_message
    if message is None or not message.text:
        return

    # Words around the ids, such as "here is my task:", are not reported as invalid ids.
    parsed = ParsedIds(valid=parse_task_ids(message.text).valid)
    if not parsed.valid:
        services = services_of(context)
        t = await translator_for(services, message.chat_id, message.from_user)
        await services.delivery.send_text(
            destination_of(message),
            t.gettext("Send a task id, or /help to see what this bot does."),
            reply_to=message.message_id,
        )
    elif len(parsed.valid) == 1:
        await _answer_task(message, parsed, context)
    else:
        await _answer_batch(message, parsed, context)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Point a private chat that sent an unknown command to /help."""
    message = update.effective_message
    if message is None or not message.text:
        return

    command = message.text.split(maxsplit=1)[0]
    services = services_of(context)
    t = await translator_for(services, message.chat_id, message.from_user)
    await services.delivery.send_text(
        destination_of(message),
        t.gettext("Unknown command <code>{command}</code>. Send /help to see the commands.")
        .format(command=echo(command)),
        reply_to=message.message_id,
    )


async def _answer_task(
    message: Message, parsed: ParsedIds, context: ContextTypes.DEFAULT_TYPE
) -> None:
    services = services_of(context)
    t = await translator_for(services, message.chat_id, message.from_user)
    destination = destination_of(message)
    reply_to = message.message_id

    if not parsed.valid and not parsed.invalid:
        await services.delivery.send_text(destination, task_usage_text(t), reply_to=reply_to)
        return
    # Two or more ids point to /batch. One id beside a word that is not an id, such as
    # "/task <id> please", gets the invalid-id reply, which names the word to fix.
    if len(parsed.valid) > 1:
        await services.delivery.send_text(
            destination, task_too_many_ids_text(t, len(parsed.valid)), reply_to=reply_to
        )
        return
    if parsed.invalid:
        await services.delivery.send_text(
            destination, invalid_id_text(t, parsed.invalid[0]), reply_to=reply_to
        )
        return

    task_id = parsed.valid[0]
    async with services.delivery.chat_action(destination):
        try:
            task = await services.tasks.retrieve(task_id)
        except TaskApiError as error:
            await send_api_error(
                services.delivery, destination, t, error, [task_id], reply_to=reply_to
            )
            return

        watch_note, markup = None, None
        if task is not None and task.state is TaskState.PENDING:
            watch_note, markup = await watch_running_tasks(services, message, [task_id], t)
        await send_task(
            services.delivery, destination, t, task_id, task, time.time(),
            reply_to=reply_to, watch_note=watch_note, reply_markup=markup,
        )
        if task is not None and task.state.is_final:
            await close_delivered_watches(services, message.chat_id, [task])


async def _answer_batch(
    message: Message, parsed: ParsedIds, context: ContextTypes.DEFAULT_TYPE
) -> None:
    services = services_of(context)
    t = await translator_for(services, message.chat_id, message.from_user)
    destination = destination_of(message)
    reply_to = message.message_id
    max_ids = services.settings.batch_max_ids

    if not parsed.valid and not parsed.invalid:
        await services.delivery.send_text(
            destination, batch_usage_text(t, max_ids), reply_to=reply_to
        )
        return
    if len(parsed.valid) > max_ids:
        await services.delivery.send_text(
            destination, batch_too_many_ids_text(t, len(parsed.valid), max_ids), reply_to=reply_to
        )
        return

    if not parsed.valid:
        await services.delivery.send_text(
            destination, no_valid_ids_text(t, parsed.invalid), reply_to=reply_to
        )
        return

    async with services.delivery.chat_action(destination):
        try:
            tasks = await services.tasks.retrieve_batch(parsed.valid)
        except TaskApiError as error:
            await send_api_error(
                services.delivery, destination, t, error, parsed.valid, reply_to=reply_to
            )
            return

        running = [task.id for task in tasks.values() if task.state is TaskState.PENDING]
        watch_note, markup = None, None
        if running:
            ordered = [task_id for task_id in parsed.valid if task_id in running]
            watch_note, markup = await watch_running_tasks(services, message, ordered, t)
        await send_batch(
            services.delivery,
            destination,
            t,
            parsed.valid,
            tasks,
            parsed.invalid,
            time.time(),
            reply_to=reply_to,
            watch_note=watch_note,
            reply_markup=markup,
        )
        finished = [task for task in tasks.values() if task.state.is_final]
        await close_delivered_watches(services, message.chat_id, finished)


def command_argument(message: Message) -> str:
    """Return the text after the command, keeping its new lines."""
    text = message.text or ""
    entities = message.entities
    if entities and entities[0].type == MessageEntity.BOT_COMMAND and entities[0].offset == 0:
        # The command itself is ASCII, so its UTF-16 length is also its length in characters.
        return text[entities[0].length :]
    return text.split(maxsplit=1)[1] if len(text.split(maxsplit=1)) > 1 else ""


def destination_of(message: Message) -> Destination:
    """Return where replies to a message go: its chat, and its forum topic when it has one."""
    thread_id = message.message_thread_id if message.is_topic_message else None
    return Destination(chat_id=message.chat_id, thread_id=thread_id)
