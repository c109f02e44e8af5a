"""Delivery to Telegram: texts split under the limits, images with a fallback for each rejection,
and chat actions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from cachetools import TTLCache
from telegram import Bot, LinkPreviewOptions, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError, TimedOut

from bot.album_sender import AlbumSender
from bot.delivery_types import (
    AlbumResult,
    Destination,
    ImageOutcome,
    ImageResult,
    TextResult,
    reply_parameters,
)
from bot.download import ImageDownloader
from bot.html_text import plain_text, split_html
from bot.render import Album
from bot.telegram_errors import is_entity_error

logger = logging.getLogger(__name__)

# Telegram shows a chat action for 5 seconds or until the next message, so it is renewed
# a little sooner than that while the bot works.
_CHAT_ACTION_RENEW_SECONDS = 4.5

# Seconds of work before a chat action is sent. The Bot API's description of sendChatAction
# recommends it only when a response will take a noticeable time, and a faster reply saves
# the request, which counts against the bot's 30 messages a second.
CHAT_ACTION_DELAY_SECONDS = 0.5

_NO_LINK_PREVIEW = LinkPreviewOptions(is_disabled=True)

# Telegram caches what it fetched from a URL, a failure included, "for a few days" (a Bot API
# maintainer in https://github.com/tdlib/telegram-bot-api/issues/782), so sending a rejected
# URL again fails again. The bot remembers such URLs for as long, in memory only.
_URL_MEMORY_SECONDS = 3 * 24 * 3600
_MAX_REMEMBERED_URLS = 10_000


class Delivery:
    """Sends the bot's texts and images to one destination at a time.

    Some errors are raised unchanged for the caller to act on, because no other form of the
    content would avoid them. These are Forbidden (blocked or kicked), ChatMigrated,
    RetryAfter, a BadRequest about the chat or topic (such as "chat not found" or
    TOPIC_CLOSED), and network errors other than timeouts. A flood wait that Telegram
    reports inside a 400 for an album item is raised as RetryAfter.
    """

    def __init__(self, bot: Bot, downloader: ImageDownloader) -> None:
        self.bot = bot
        self.downloader = downloader
        # URLs not to give Telegram as photos again, with the reason: Telegram rejected them,
        # or their download showed that it would.
        self.url_problems: TTLCache[str, str] = TTLCache(
            maxsize=_MAX_REMEMBERED_URLS, ttl=_URL_MEMORY_SECONDS
        )
        # The chat action shown at each destination: set when its first request starts, and
        # when that request has ended.
        self._chat_actions: dict[Destination, tuple[asyncio.Event, asyncio.Event]] = {}

    async def send_text(
        self,
        destination: Destination,
        markup: str,
        *,
        reply_to: int | None = None,
        reply_markup: object | None = None,
        task_ids: Sequence[str] = (),
    ) -> list[Message]:
        """Send HTML markup as one or more messages, in order, each under Telegram's limit.

        `reply_to` quotes that message from the first part. `reply_markup` goes on the last
        part, so that its buttons sit under the whole text. A part whose markup Telegram
        cannot parse is sent again as plain text. A part that times out is logged with
        `task_ids` and left out of the returned messages, because Telegram may still have
        delivered it, and it is not sent again.
        """
        result = await self.send_text_parts(
            destination, markup, reply_to=reply_to, reply_markup=reply_markup
        )
        if result.timed_out_parts:
            logger.warning(
                "Sending a text to chat %s timed out for %d of its parts, tasks [%s]; "
                "they may have arrived and are not sent again",
                destination.chat_id,
                result.timed_out_parts,
                ", ".join(task_ids),
            )
        return result.messages

    async def send_text_parts(
        self,
        destination: Destination,
        markup: str,
        *,
        reply_to: int | None = None,
        reply_markup: object | None = None,
    ) -> TextResult:
        """Send HTML markup as send_text does, and return how many parts timed out too."""
        await self._after_chat_action(destination)
        parts = split_html(markup)
        result = TextResult(messages=[])
        for position, part in enumerate(parts):
            is_last = position == len(parts) - 1
            try:
                message = await self._send_text_part(
                    destination,
                    part,
                    reply_to=reply_to if position == 0 else None,
                    reply_markup=reply_markup if is_last else None,
                )
            except TimedOut:
                result.timed_out_parts += 1
                continue
            result.messages.append(message)
        return result

    async def send_album(
        self, destination: Destination, album: Album, *, reply_to: int | None = None
    ) -> AlbumResult:
        """Send an album's images with its caption on the first, each image once at most.

        Each image goes the first way that Telegram accepts: as a photo by its URL, as a
        photo uploaded from its downloaded bytes, as a document, or as a link in a text with
        the reason. Photos go together as one photo or a media group, then documents, then
        one text with the links. Only what Telegram accepted counts as sent, and a request
        that timed out is not repeated. Raises the errors that the class docstring names.
        """
        await self._after_chat_action(destination)
        sender = AlbumSender(
            self.bot,
            self.downloader,
            self.url_problems,
            self.send_text_parts,
            destination,
            album,
            reply_to=reply_to,
        )
        return await sender.send()

    async def _send_text_part(
        self,
        destination: Destination,
        part: str,
        *,
        reply_to: int | None,
        reply_markup: object | None,
    ) -> Message:
        try:
            return await self.bot.send_message(
                chat_id=destination.chat_id,
                message_thread_id=destination.thread_id,
                text=part,
                parse_mode=ParseMode.HTML,
                reply_parameters=reply_parameters(reply_to),
                reply_markup=reply_markup,  # type: ignore[arg-type]
                link_preview_options=_NO_LINK_PREVIEW,
            )
        except BadRequest as error:
            if not is_entity_error(error):
                raise
            logger.warning(
                "Telegram could not parse a text for chat %s (%s); sending it as plain text",
                destination.chat_id,
                error.message,
            )
        return await self.bot.send_message(
            chat_id=destination.chat_id,
            message_thread_id=destination.thread_id,
            text=plain_text(part),
            reply_parameters=reply_parameters(reply_to),
            reply_markup=reply_markup,  # type: ignore[arg-type]
            link_preview_options=_NO_LINK_PREVIEW,
        )

    @contextlib.asynccontextmanager
    async def chat_action(
        self, destination: Destination, action: str = ChatAction.UPLOAD_PHOTO
    ) -> AsyncIterator[None]:
        """Show a chat action such as "sending photo" in the chat until the block ends.

        The action is sent alongside the block's own work once it has taken
        CHAT_ACTION_DELAY_SECONDS, so a block that ends sooner sends none. A message to the
        same destination, and the block's end, wait for a first action request already
        started to finish, so that the action cannot arrive after the reply and linger over it.
        """
        first_started = asyncio.Event()
        first_attempt = asyncio.Event()
        self._chat_actions[destination] = (first_started, first_attempt)
        renewer = asyncio.create_task(
            self._renew_chat_action(destination, action, first_started, first_attempt)
        )
        try:
            yield
        finally:
            await self._after_chat_action(destination)
            if self._chat_actions.get(destination) == (first_started, first_attempt):
                del self._chat_actions[destination]
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def _after_chat_action(self, destination: Destination) -> None:
        """Wait, a few seconds at most, until a chat action started there has been sent."""
        events = self._chat_actions.get(destination)
        if events is None or not events[0].is_set():
            return
        first_attempt = events[1]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_CHAT_ACTION_RENEW_SECONDS):
                await first_attempt.wait()

    async def _renew_chat_action(
        self,
        destination: Destination,
        action: str,
        first_started: asyncio.Event,
        first_attempt: asyncio.Event,
    ) -> None:
        await asyncio.sleep(CHAT_ACTION_DELAY_SECONDS)
        first_started.set()
        while True:
            try:
                await self.bot.send_chat_action(
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


__all__ = [
    "AlbumResult",
    "Delivery",
    "Destination",
    "ImageOutcome",
    "ImageResult",
    "TextResult",
]
