"""Handlers of watch lists: /watch, /unwatch, /watches, the "Stop watching" button, and
the chat changes that move or drop a chat's watches."""

from __future__ import annotations

import logging
import time

from telegram import ChatMember, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.chat_admins import is_chat_admin
from bot.chat_languages import translator_for
from bot.handlers import command_argument, destination_of
from bot.ids import parse_task_ids
from bot.presses import answer_press
from bot.render import MAX_INVALID_SHOWN, batch_too_many_ids_text, invalid_id_text
from bot.services import services_of
from bot.watch_texts import (
    polling_paused_text,
    stopped_watching_notice,
    unwatch_usage_text,
    unwatched_all_text,
    unwatched_own_text,
    unwatched_text,
    watch_added_text,
    watch_invalid_ids_text,
    watch_list_text,
    watch_usage_text,
)
from bot.watching import STOP_MESSAGE_PREFIX, STOP_TASK_PREFIX, task_buttons

logger = logging.getLogger(__name__)


async def watch_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Watch tasks in this chat and topic; the poller sends each one's images when it finishes."""
    message = update.effective_message
    if message is None:
        return

    services = services_of(context)
    t = await translator_for(services, message.chat_id, message.from_user)
    destination = destination_of(message)
    parsed = parse_task_ids(command_argument(message))
    reply_to = message.message_id

    if not parsed.valid and not parsed.invalid:
        await services.delivery.send_text(destination, watch_usage_text(t), reply_to=reply_to)
        return
    if parsed.invalid:
        lines = [invalid_id_text(t, value) for value in parsed.invalid[:MAX_INVALID_SHOWN]]
        lines.append(watch_invalid_ids_text(t))
        await services.delivery.send_text(destination, "\n".join(lines), reply_to=reply_to)
        return
    if len(parsed.valid) > services.settings.batch_max_ids:
        text = batch_too_many_ids_text(
            t, len(parsed.valid), services.settings.batch_max_ids, command="/watch"
        )
        await services.delivery.send_text(destination, text, reply_to=reply_to)
        return

    result = await services.store.add_watches(
        message.chat_id,
        destination.thread_id,
        parsed.valid,
        added_by=message.from_user.id if message.from_user else None,
        now=time.time(),
        limit=services.settings.watch_limit_per_chat,
        source_message_id=message.message_id,
        language=t.language,
    )
    text = watch_added_text(
        t, result.added, result.already_watched, result.over_limit,
        services.settings.watch_limit_per_chat,
    )
    if services.tasks.health.token_rejected:
        text += "\n\n" + polling_paused_text(t)
    await services.delivery.send_text(destination, text, reply_to=reply_to)

    if result.added:
        # Tasks that have already finished are delivered now rather than at the next poll.
        services.poller.request_cycle()


async def unwatch_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop watching some tasks of this chat, or all of them with `/unwatch all`."""
    message = update.effective_message
    if message is None:
        return

    services = services_of(context)
    t = await translator_for(services, message.chat_id, message.from_user)
    destination = destination_of(message)
    argument = command_argument(message).strip()
    reply_to = message.message_id

    if argument.lower() == "all":
        if await is_chat_admin(message, context):
            removed = await services.store.remove_all(message.chat_id)
            text = unwatched_all_text(t, removed)
        else:
            user_id = message.from_user.id if message.from_user else None
            removed = await services.store.remove_all(message.chat_id, added_by=user_id)
            text = unwatched_own_text(t, removed)
        logger.info("Chat %s: /unwatch all removed %d watches", message.chat_id, removed)
        await services.delivery.send_text(destination, text, reply_to=reply_to)
        return

    parsed = parse_task_ids(argument)
    if not parsed.valid:
        text = unwatch_usage_text(t)
        if parsed.invalid:
            text = f"{invalid_id_text(t, parsed.invalid[0])}\n{text}"
        await services.delivery.send_text(destination, text, reply_to=reply_to)
        return

    removed = await services.store.remove_watches(message.chat_id, parsed.valid)
    not_watched = [task_id for task_id in parsed.valid if task_id not in removed]
    text = unwatched_text(t, removed, not_watched)
    if parsed.invalid:
        text += "\n" + "\n".join(
            invalid_id_text(t, value) for value in parsed.invalid[:MAX_INVALID_SHOWN]
        )
    await services.delivery.send_text(destination, text, reply_to=reply_to)


async def watches_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List this chat's open watches with their age, over several messages when long."""
    message = update.effective_message
    if message is None:
        return

    services = services_of(context)
    t = await translator_for(services, message.chat_id, message.from_user)
    watches = await services.store.open_watches_of_chat(message.chat_id)
    text = watch_list_text(t, watches, services.settings.watch_limit_per_chat, time.time())
    await services.delivery.send_text(
        destination_of(message), text, reply_to=message.message_id
    )


async def stop_watching_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle a press of "Stop watching": remove the watches and the button.

    Under one task's message, the "Refresh" button stays.
    """
    query = update.callback_query
    if query is None or query.data is None:
        return

    services = services_of(context)
    message = query.message
    chat_id = message.chat.id if message is not None and hasattr(message, "chat") else None
    t = await translator_for(services, chat_id, query.from_user)
    if message is None or chat_id is None:
        await answer_press(query, t.gettext("This message is too old to change."))
        return

    remaining_buttons = None
    if query.data.startswith(STOP_TASK_PREFIX):
        task_id = query.data.removeprefix(STOP_TASK_PREFIX)
        removed = await services.store.remove_watches(chat_id, [task_id])
        remaining_buttons = task_buttons(t, task_id, watched=False)
    else:
        source = query.data.removeprefix(STOP_MESSAGE_PREFIX)
        removed = (
            await services.store.remove_by_source(chat_id, int(source)) if source.isdigit() else []
        )

    logger.info("Chat %s: Stop watching removed %d watches", chat_id, len(removed))
    await answer_press(query, stopped_watching_notice(t, len(removed)))

    # Edited by its ids, because CallbackQuery.edit_message_reply_markup raises TypeError for
    # an InaccessibleMessage (date 0). python-telegram-bot 22.8 parses one as a Message, but
    # the type allows either. Telegram rejects the edit with BadRequest if the message is gone.
    try:
        await context.bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message.message_id, reply_markup=remaining_buttons
        )
    except BadRequest as error:
        # The button may already be gone, such as after a second press.
        logger.debug("Removing the button in chat %s failed: %s", chat_id, error)


async def chat_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Move a group's watches to the supergroup it became, from the migration service message."""
    message = update.effective_message
    if message is None:
        return

    if message.migrate_to_chat_id:
        old_chat_id, new_chat_id = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old_chat_id, new_chat_id = message.migrate_from_chat_id, message.chat_id
    else:
        return

    moved = await services_of(context).store.migrate_chat(old_chat_id, new_chat_id)
    logger.info("Chat %s became supergroup %s: moved %d watches", old_chat_id, new_chat_id, moved)


async def bot_membership_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop the watches of a chat that removed or blocked the bot."""
    change = update.my_chat_member
    if change is None:
        return

    if change.new_chat_member.status in (ChatMember.LEFT, ChatMember.BANNED):
        dropped = await services_of(context).store.drop_chat(change.chat.id)
        logger.info(
            "Bot removed from chat %s (%s): dropped its %d watches",
            change.chat.id, change.new_chat_member.status, dropped,
        )
