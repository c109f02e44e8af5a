"""Access control: the chats and users the bot serves, and a command rate limit per user."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from telegram import CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.chat_languages import translator_for
from bot.i18n import Translator
from bot.presses import answer_press
from bot.services import services_of

logger = logging.getLogger(__name__)

# How many refused chats and warned users the gate remembers, so that each gets one message.
_MAX_REMEMBERED = 10_000


class AccessGate:
    """Stops updates the bot must not handle, before any handler runs.

    An update passes when its chat is in `allowed_chat_ids` or its sender is in
    `allowed_user_ids`; when both sets are empty, every update passes. A refused chat gets
    one short message, the first time its sender sends a command there, naming the ids the
    operator would add. Each user may send `commands_per_minute` commands in any minute, and a
    press of an inline button counts as a command. The first command over that gets a message
    saying when to try again, and the rest are ignored. A press over it gets a short notice
    and is ignored.
    """

    def __init__(
        self,
        allowed_chat_ids: frozenset[int],
        allowed_user_ids: frozenset[int],
        commands_per_minute: int,
    ) -> None:
        self._allowed_chat_ids = allowed_chat_ids
        self._allowed_user_ids = allowed_user_ids
        self._rate = RateLimitItemPerMinute(commands_per_minute)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._rejected: OrderedDict[tuple[int, int | None], None] = OrderedDict()
        self._warned_until: OrderedDict[int, float] = OrderedDict()

    def allows(self, chat_id: int | None, user_id: int | None) -> bool:
        if not self._allowed_chat_ids and not self._allowed_user_ids:
            return True
        if chat_id is not None and chat_id in self._allowed_chat_ids:
            return True
        return user_id is not None and user_id in self._allowed_user_ids

    async def check_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            return

        chat = update.effective_chat
        user = update.effective_user
        chat_id = chat.id if chat else None
        user_id = user.id if user else None
        message = update.effective_message
        is_command = _is_command_for(update, context.bot.username)

        if not self.allows(chat_id, user_id):
            if is_command and message is not None and chat_id is not None:
                t = await translator_for(services_of(context), chat_id, user)
                await self._reject(message, chat_id, user_id, t, context)
            elif update.callback_query is not None:
                # A button sent before the allow-list changed.
                logger.info("Refused a button press in chat %s from user %s", chat_id, user_id)
                t = await translator_for(services_of(context), chat_id, user)
                await answer_press(
                    update.callback_query, t.gettext("This bot no longer serves this chat.")
                )
            raise ApplicationHandlerStop

        if is_command and user_id is not None and message is not None:
            if not self._limiter.hit(self._rate, "commands", str(user_id)):
                t = await translator_for(services_of(context), chat_id, user)
                await self._slow_down(message, user_id, t, context)
                raise ApplicationHandlerStop

        # A press of "Refresh" calls the task API, as a command does.
        press = update.callback_query
        if press is not None and user_id is not None:
            if not self._limiter.hit(self._rate, "commands", str(user_id)):
                t = await translator_for(services_of(context), chat_id, user)
                await self._slow_down_press(press, user_id, t)
                raise ApplicationHandlerStop

    async def _reject(
        self,
        message: Message,
        chat_id: int,
        user_id: int | None,
        t: Translator,
        context: ContextTypes.DEFAULT_TYPE,
    ) -> None:
        key = (chat_id, user_id if self._allowed_user_ids else None)
        if key in self._rejected:
            return
        _remember(self._rejected, key, None)

        logger.info("Refused chat %s, user %s: not in ALLOWED_CHAT_IDS or ALLOWED_USER_IDS", chat_id, user_id)
        if self._allowed_user_ids and user_id is not None:
            text = t.gettext(
                "This bot serves only its operator's chats. This chat's id is "
                "<code>{chat_id}</code>, and your user id is <code>{user_id}</code>."
            )
        else:
            text = t.gettext(
                "This bot serves only its operator's chats. This chat's id is "
                "<code>{chat_id}</code>."
            )
        await _reply(message, text.format(chat_id=chat_id, user_id=user_id), context)

    async def _slow_down(
        self, message: Message, user_id: int, t: Translator, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        now = time.time()
        if self._warned_until.get(user_id, 0.0) > now:
            return

        reset_at = self._limiter.get_window_stats(self._rate, "commands", str(user_id)).reset_time
        wait_seconds = max(1, round(reset_at - now))
        _remember(self._warned_until, user_id, reset_at)

        logger.info("User %s is over the command rate limit in chat %s", user_id, message.chat_id)
        text = t.gettext(
            "⏳ Too many commands: this bot takes {count} a minute from each person. "
            "Try again in {seconds} s."
        )
        await _reply(message, text.format(count=self._rate.amount, seconds=wait_seconds), context)

    async def _slow_down_press(self, press: CallbackQuery, user_id: int, t: Translator) -> None:
        reset_at = self._limiter.get_window_stats(self._rate, "commands", str(user_id)).reset_time
        wait_seconds = max(1, round(reset_at - time.time()))
        logger.debug("User %s is over the command rate limit with a button press", user_id)
        await answer_press(
            press,
            t.gettext("⏳ Too many requests. Try again in {seconds} s.").format(
                seconds=wait_seconds
            ),
        )


async def _reply(message: Message, text: str, context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await context.bot.send_message(
            chat_id=message.chat_id,
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
            text=text,
            parse_mode=ParseMode.HTML,
        )
    except TelegramError as error:
        logger.info("Access notice to chat %s was not delivered: %s", message.chat_id, error)


def _is_command_for(update: Update, bot_username: str | None) -> bool:
    """Tell whether the update is a new message with a command for this bot.

    A command that names another bot, such as /task@OtherBot, is not for this one.
    """
    message = update.message
    if message is None or not message.text or not message.text.startswith("/"):
        return False
    command = message.text.split(maxsplit=1)[0]
    _, _, addressee = command.partition("@")
    return not addressee or addressee.lower() == (bot_username or "").lower()


def _remember(entries: OrderedDict, key: object, value: object) -> None:  # type: ignore[type-arg]
    entries[key] = value
    entries.move_to_end(key)
    if len(entries) > _MAX_REMEMBERED:
        entries.popitem(last=False)
