"""Destinations of the delivery, and its reports on each text and album it sent."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from telegram import Message, ReplyParameters


@dataclass(frozen=True, slots=True)
class Destination:
    """Target of a reply: a chat, and the forum topic inside it when there is one."""

    chat_id: int
    thread_id: int | None = None


class ImageOutcome(enum.StrEnum):
    """The form in which one image reached the chat."""

    PHOTO = "photo"
    DOCUMENT = "document"
    # A text with the image's link and the reason it could not be sent.
    LINK = "link"
    # The request timed out, so Telegram may or may not have delivered it.
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ImageResult:
    url: str
    outcome: ImageOutcome
    # The reason the image did not go as a photo by its URL (for a link, the reason it could
    # not be sent at all), or None when it did.
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class AlbumResult:
    """The outcome of each image of an album, in its order, and the messages Telegram accepted."""

    images: tuple[ImageResult, ...]
    messages: tuple[Message, ...]

    @property
    def complete(self) -> bool:
        """Whether Telegram accepted a photo, a document or a link text for every image."""
        return all(image.outcome is not ImageOutcome.UNKNOWN for image in self.images)


@dataclass(slots=True)
class TextResult:
    """The messages of a text that Telegram accepted, and how many parts timed out."""

    messages: list[Message]
    timed_out_parts: int = 0


def reply_parameters(message_id: int | None) -> ReplyParameters | None:
    """Return the parameters that quote `message_id`, still sending when it was deleted."""
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)
