"""Sending one album's images, with a fallback for each image that Telegram rejects.

Each image goes the first way that Telegram accepts:
1. as a photo by its URL, which Telegram downloads itself (up to 5 MB, served as an image);
2. as a photo uploaded from bytes that the bot downloads, once Telegram rejected the URL or
   the bot can tell that it would (from the URL's extension, an earlier rejection, or a
   download);
3. as a document, when Telegram would reject those bytes as a photo (over 10 MB, width plus
   height over 10000, or sides over 20:1) or did reject them;
4. as a link in a text with the reason, when the bytes cannot be downloaded, are not an
   image, or Telegram rejected the document too.

When Telegram rejects a media group, it names the first item it rejected ("failed to send
message #N"), so the group is sent again with that item fixed or left out. A rejection that
names no item ("group send failed") sends the rest one by one. Photos and documents cannot
share a media group, so documents follow the photos, and the link text comes last.

NOTE: resending assumes that Telegram delivers nothing of a rejected media group, as the Bot
API server sends a group to Telegram in one request. No documentation states it, and if
Telegram ever delivered part of one, the resend would repeat those images.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from telegram import Bot, InputMediaDocument, InputMediaPhoto, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter, TimedOut

from bot.delivery_types import (
    AlbumResult,
    Destination,
    ImageOutcome,
    ImageResult,
    TextResult,
    reply_parameters,
)
from bot.download import DownloadError, ImageDownloader
from bot.i18n import N_, translator
from bot.html_text import plain_text
from bot.media import (
    NotAnImageError,
    PreparedImage,
    prepare_image,
    url_format_problem,
    url_photo_problem,
)
from bot.render import Album, unsent_images_text
from bot.telegram_errors import (
    failed_album_item,
    flood_wait_seconds,
    is_chat_error,
    is_entity_error,
)

logger = logging.getLogger(__name__)

# Each failed request moves one image a step down the fallbacks (URL, upload, document,
# link) or drops the caption's markup, so an album needs at most this many requests per
# image. The bound only guards against a loop.
_MAX_REQUESTS_PER_IMAGE = 4

TextSender = Callable[..., Awaitable[TextResult]]


class _Route(enum.Enum):
    # As a photo: by its URL while the item has no upload, else uploaded.
    PHOTO = "photo"
    DOCUMENT = "document"
    LINK = "link"


@dataclass(slots=True)
class _Item:
    url: str
    task_id: str | None
    route: _Route = _Route.PHOTO
    upload: PreparedImage | None = None
    # Whether the bot already downloaded and checked the image.
    checked: bool = False
    # Why the image left the photo-by-URL route; for a link, why it could not be sent. It is
    # a LazyText, so that the link text shows it in the album's language.
    reason: str | None = None
    outcome: ImageOutcome | None = None


class AlbumSender:
    """Sends one album to one destination; create one for each album."""

    def __init__(
        self,
        bot: Bot,
        downloader: ImageDownloader,
        url_problems: MutableMapping[str, str],
        send_text_parts: TextSender,
        destination: Destination,
        album: Album,
        *,
        reply_to: int | None = None,
    ) -> None:
        self._bot = bot
        self._downloader = downloader
        self._url_problems = url_problems
        self._send_text_parts = send_text_parts
        self._destination = destination
        self._album = album
        self._reply_to = reply_to
        self._caption_pending = bool(album.caption)
        self._plain_caption = False
        self._messages: list[Message] = []

        task_ids = album.url_task_ids or (None,) * len(album.urls)
        self._items = [
            _Item(url=url, task_id=task_id)
            for url, task_id in zip(album.urls, task_ids, strict=True)
        ]

    async def send(self) -> AlbumResult:
        """Send every image once at most, and return what Telegram accepted."""
        await self._avoid_known_url_problems()
        await self._send_route(_Route.PHOTO)
        await self._send_route(_Route.DOCUMENT)
        await self._send_links()
        self._log_outcomes()

        images = tuple(
            ImageResult(
                url=item.url,
                outcome=item.outcome or ImageOutcome.UNKNOWN,
                reason=item.reason,
            )
            for item in self._items
        )
        return AlbumResult(images=images, messages=tuple(self._messages))

    # Preparing uploads ---------------------------------------------------------------------

    async def _avoid_known_url_problems(self) -> None:
        known = []
        for item in self._items:
            problem = self._url_problems.get(item.url) or url_format_problem(item.url)
            if problem is not None:
                item.reason = problem
                known.append(item)
        await asyncio.gather(*(self._prepare(item, keep_url_if_fit=False) for item in known))

    async def _prepare(self, item: _Item, *, keep_url_if_fit: bool) -> None:
        """Download and check an image, and route it to an upload, a document or a link.

        With `keep_url_if_fit`, an image that Telegram has not rejected yet stays on its URL
        when its download shows that Telegram would take it, or when the bot could not
        download it (Telegram may still reach it).
        """
        item.checked = True
        try:
            download = await self._downloader.download(item.url)
        except DownloadError as error:
            if not keep_url_if_fit:
                self._route_to_link(item, str(error))
            return
        try:
            image = await asyncio.to_thread(
                prepare_image, download.data, item.url, download.content_type
            )
        except NotAnImageError as error:
            self._route_to_link(item, str(error))
            return

        url_problem = url_photo_problem(len(download.data), download.content_type, image)
        if keep_url_if_fit and url_problem is None:
            return
        if url_problem is not None:
            self._url_problems.setdefault(item.url, url_problem)
            item.reason = item.reason or url_problem

        item.upload = image
        if image.photo_problem is not None:
            item.route = _Route.DOCUMENT
            item.reason = image.photo_problem
        logger.info(
            "Image %s for chat %s, tasks [%s], goes as an uploaded %s (%d bytes%s): %s",
            item.url,
            self._destination.chat_id,
            self._task_list(),
            item.route.value,
            len(image.data),
            f", converted from {image.converted_from}" if image.converted_from else "",
            item.reason,
        )

    def _route_to_link(self, item: _Item, reason: str) -> None:
        item.route = _Route.LINK
        item.upload = None
        item.reason = reason

    # Sending photos and documents ----------------------------------------------------------

    async def _send_route(self, route: _Route) -> None:
        one_by_one = False
        for _ in range(_MAX_REQUESTS_PER_IMAGE * len(self._items)):
            pending = self._pending(route)
            if not pending:
                return
            batch = pending[:1] if one_by_one else pending
            try:
                messages = await self._send_batch(batch)
            except TimedOut:
                self._log_timeout(batch)
                self._settle(batch, ImageOutcome.UNKNOWN, [])
                continue
            except BadRequest as error:
                if not await self._recover(error, batch):
                    one_by_one = True
                continue
            outcome = ImageOutcome.PHOTO if route is _Route.PHOTO else ImageOutcome.DOCUMENT
            self._settle(batch, outcome, messages)

        for item in self._pending(route):
            self._route_to_link(item, N_("Telegram rejected it too many times"))

    async def _send_batch(self, batch: list[_Item]) -> list[Message]:
        if len(batch) == 1:
            return [await self._send_single(batch[0])]

        media = [self._input_media(item, first=position == 0) for position, item in enumerate(batch)]
        messages = await self._bot.send_media_group(
            chat_id=self._destination.chat_id,
            message_thread_id=self._destination.thread_id,
            media=media,
            reply_parameters=reply_parameters(self._reply_to),
        )
        return list(messages)

    async def _send_single(self, item: _Item) -> Message:
        common: dict[str, Any] = {
            "chat_id": self._destination.chat_id,
            "message_thread_id": self._destination.thread_id,
            "reply_parameters": reply_parameters(self._reply_to),
            **self._caption_parameters(),
        }
        if item.route is _Route.PHOTO and item.upload is None:
            return await self._bot.send_photo(photo=item.url, **common)

        assert item.upload is not None
        if item.route is _Route.PHOTO:
            return await self._bot.send_photo(
                photo=item.upload.data, filename=item.upload.filename, **common
            )
        return await self._bot.send_document(
            document=item.upload.data,
            filename=item.upload.filename,
            disable_content_type_detection=True,
            **common,
        )

    def _input_media(self, item: _Item, *, first: bool) -> InputMediaPhoto | InputMediaDocument:
        caption = self._caption_parameters() if first else {}
        if item.route is _Route.PHOTO and item.upload is None:
            return InputMediaPhoto(media=item.url, **caption)

        assert item.upload is not None
        if item.route is _Route.PHOTO:
            return InputMediaPhoto(
                media=item.upload.data, filename=item.upload.filename, **caption
            )
        return InputMediaDocument(
            media=item.upload.data,
            filename=item.upload.filename,
            disable_content_type_detection=True,
            **caption,
        )

    def _caption_parameters(self) -> dict[str, Any]:
        if not self._caption_pending:
            return {}
        if self._plain_caption:
            return {"caption": plain_text(self._album.caption)}
        return {"caption": self._album.caption, "parse_mode": ParseMode.HTML}

    async def _recover(self, error: BadRequest, batch: list[_Item]) -> bool:
        """Change what the next request sends after Telegram rejected `batch`.

        Returns False when Telegram did not name the item it rejected, so that the caller
        sends the items one by one. Raises RetryAfter for a flood wait inside the error, and
        the error itself when it concerns the chat.
        """
        seconds = flood_wait_seconds(error)
        if seconds is not None:
            # NOTE: the exception does not list the images accepted before it, so a caller
            # that sends the whole album again after the wait repeats them.
            raise RetryAfter(seconds) from error
        if is_chat_error(error):
            raise error

        if is_entity_error(error) and self._caption_pending and not self._plain_caption:
            logger.warning(
                "Telegram could not parse the caption for chat %s, tasks [%s] (%s); "
                "sending it as plain text",
                self._destination.chat_id,
                self._task_list(),
                error.message,
            )
            self._plain_caption = True
            return True

        position = 0 if len(batch) == 1 else failed_album_item(error)
        if position is None or position >= len(batch):
            logger.warning(
                "Telegram rejected a media group for chat %s, tasks [%s], without naming an "
                "item (%s); sending its images one by one",
                self._destination.chat_id,
                self._task_list(),
                error.message,
            )
            return False

        await self._step_down(batch[position], batch, error.message)
        return True

    async def _step_down(self, item: _Item, batch: list[_Item], reason: str) -> None:
        """Move a rejected item to its next fallback."""
        logger.info(
            "Telegram rejected image %s as a %s%s for chat %s, tasks [%s]: %s",
            item.url,
            item.route.value,
            " URL" if item.upload is None else "",
            self._destination.chat_id,
            self._task_list(),
            reason,
        )
        if item.route is _Route.DOCUMENT:
            self._route_to_link(item, N_("Telegram rejected it as a file ({error})", error=reason))
            return
        if item.upload is not None:
            item.route = _Route.DOCUMENT
            item.reason = N_("Telegram rejected it as a photo ({error})", error=reason)
            return

        item.reason = N_("Telegram could not use its URL ({error})", error=reason)
        self._url_problems[item.url] = item.reason
        # Images of one album usually come from the same server and fail alike, so the others
        # that still go by URL are checked now too, rather than one failed request each.
        others = [other for other in batch if other is not item and not other.checked]
        await asyncio.gather(
            self._prepare(item, keep_url_if_fit=False),
            *(self._prepare(other, keep_url_if_fit=True) for other in others),
        )

    # Links -----------------------------------------------------------------------------------

    async def _send_links(self) -> None:
        items = self._pending(_Route.LINK)
        if not items:
            return

        logger.warning(
            "Images for chat %s, tasks [%s], could not be sent and go as links: %s",
            self._destination.chat_id,
            self._task_list(),
            ", ".join(f"{item.url} ({item.reason})" for item in items),
        )
        caption = self._album.caption if self._caption_pending else ""
        text = unsent_images_text(
            translator(self._album.language),
            [(item.url, item.task_id, item.reason or N_("no reason given")) for item in items],
            caption,
        )
        result = await self._send_text_parts(self._destination, text, reply_to=self._reply_to)
        if result.timed_out_parts:
            self._log_timeout(items)
            self._settle(items, ImageOutcome.UNKNOWN, result.messages)
        else:
            self._settle(items, ImageOutcome.LINK, result.messages)

    # Bookkeeping -----------------------------------------------------------------------------

    def _pending(self, route: _Route) -> list[_Item]:
        return [item for item in self._items if item.route is route and item.outcome is None]

    def _settle(self, batch: list[_Item], outcome: ImageOutcome, messages: list[Message]) -> None:
        for item in batch:
            item.outcome = outcome
        self._messages.extend(messages)
        # A request that timed out may have delivered the caption and the reply, so neither
        # is sent again.
        self._caption_pending = False
        self._reply_to = None

    def _task_list(self) -> str:
        return ", ".join(self._album.task_ids)

    def _log_timeout(self, batch: list[_Item]) -> None:
        logger.warning(
            "Sending %d image(s) to chat %s, tasks [%s], timed out; Telegram may have "
            "delivered them, so they are not sent again: %s",
            len(batch),
            self._destination.chat_id,
            self._task_list(),
            " ".join(item.url for item in batch),
        )

    def _log_outcomes(self) -> None:
        counts = Counter(item.outcome or ImageOutcome.UNKNOWN for item in self._items)
        if set(counts) == {ImageOutcome.PHOTO}:
            return
        summary = ", ".join(f"{count} {outcome.value}" for outcome, count in counts.items())
        logger.info(
            "Album for chat %s, tasks [%s], sent as: %s",
            self._destination.chat_id,
            self._task_list(),
            summary,
        )
