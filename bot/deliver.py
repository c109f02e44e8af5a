"""Delivery to Telegram: texts split under the limits, photos and albums, chat actions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from telegram import Bot, InputMediaPhoto, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import TelegramError

from bot.html_text import split_html
from bot.render import Album

logger = logging.getLogger(__name__)

# Telegram shows a chat action for 5 seconds or until the next message, so it is renewed
# a little sooner than that while the bot works.
_CHAT_ACTION_RENEW_SECONDS = 4.5

_NO_LINK_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True, slots=True)
class Destination:
    """Target of a reply: a chat, and the forum topic inside it when there is one."""

    chat_id: int
    thread_id: int | None = None


class Delivery:
    """Sends the bot's texts and images to one destination at a time."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send_text(
        self,
        destination: Destination,
        markup: str,
        *,
        reply_to: int | None = None,
        reply_markup: object | None = None,
    ) -> list[Message]:
        """Send HTML markup as one or more messages, in order, each under Telegram's limit.

        `reply_to` quotes that message from the first part. `reply_markup` goes on the last
        part, so that its buttons sit under the whole text.
        """
        parts = split_html(markup)
        messages = []
        for position, part in enumerate(parts):
            is_last = position == len(parts) - 1
            message = await self._bot.send_message(
                chat_id=destination.chat_id,
                message_thread_id=destination.thread_id,
                text=part,
                parse_mode=ParseMode.HTML,
                reply_parameters=_reply_parameters(reply_to if position == 0 else None),
                reply_markup=reply_markup if is_last else None,  # type: ignore[arg-type]
                link_preview_options=_NO_LINK_PREVIEW,
            )
            messages.append(message)
        return messages

    async def send_album(
        self, destination: Destination, album: Album, *, reply_to: int | None = None
    ) -> list[Message]:
        """Send an album's images as one photo, or as a media group with the caption first."""
        if len(album.urls) == 1:
            message = await self._bot.send_photo(
                chat_id=destination.chat_id,
                message_thread_id=destination.thread_id,
                photo=album.urls[0],
                caption=album.caption,
                parse_mode=ParseMode.HTML,
                reply_parameters=_reply_parameters(reply_to),
            )
            return [message]

        media = [
            InputMediaPhoto(
                media=url,
                caption=album.caption if position == 0 else None,
                parse_mode=ParseMode.HTML if position == 0 else None,
            )
            for position, url in enumerate(album.urls)
        ]
        messages = await self._bot.send_media_group(
            chat_id=destination.chat_id,
            message_thread_id=destination.thread_id,
            media=media,
            reply_parameters=_reply_parameters(reply_to),
        )
        return list(messages)

    @contextlib.asynccontextmanager
    async def chat_action(
        self, destination: Destination, action: str = ChatAction.UPLOAD_PHOTO
    ) -> AsyncIterator[None]:
        """Show a chat action such as "sending photo" in the chat until the block ends.

        The action is sent alongside the block's own work. On exit, the first request is
        allowed to finish so that it cannot arrive after the reply and linger over it.
        """
        first_attempt = asyncio.Event()
        renewer = asyncio.create_task(self._renew_chat_action(destination, action, first_attempt))
        try:
            yield
        finally:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_CHAT_ACTION_RENEW_SECONDS):
                    await first_attempt.wait()
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def _renew_chat_action(
        self, destination: Destination, action: str, first_attempt: asyncio.Event
    ) -> None:
        while True:
            try:
                await self._bot.send_chat_action(
                    chat_id=destination.chat_id,
                    message_thread_id=destination.thread_id,
                    action=action,
                )
            except TelegramError as error:
                # A chat action is cosmetic: the reply that follows reports real failures.
                logger.debug("Chat action failed in chat %s: %s", destination.chat_id, error)
                return
            finally:
                first_attempt.set()
            await asyncio.sleep(_CHAT_ACTION_RENEW_SECONDS)


def _reply_parameters(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)
