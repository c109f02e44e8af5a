"""Images for /edit: the photo a command replies to, turned into a data URI for the API.

The bot never passes Telegram's own file URL to the API, because that URL contains the bot
token.
"""

from __future__ import annotations

import base64
import io

from PIL import Image, UnidentifiedImageError
from telegram import Bot, Message
from telegram.constants import FileSizeLimit
from telegram.error import TelegramError

from bot.i18n import N_
from bot.images_api import MAX_IMAGE_BYTES

# Re-encoding steps for an image whose data URI is over the API's limit: JPEG quality and
# the factor applied to the longer side.
_SHRINK_STEPS = ((90, 1.0), (85, 0.75), (80, 0.5), (75, 0.35))


class EditImageError(ValueError):
    """The image cannot be sent to the API. The message, a LazyText, is the reason for users."""


def replied_image_file_id(message: Message) -> str | None:
    """Return the file id of the photo, or image document, that `message` replies to."""
    replied = message.reply_to_message
    if replied is None:
        return None
    if replied.photo:
        return replied.photo[-1].file_id
    document = replied.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        return document.file_id
    return None


async def download_telegram_image(bot: Bot, file_id: str) -> bytes:
    """Download an image from the Bot API server, which serves files of up to 20 MB."""
    try:
        telegram_file = await bot.get_file(file_id)
    except TelegramError as error:
        raise EditImageError(
            N_("Telegram did not provide the image ({error})", error=error.message)
        ) from None
    if telegram_file.file_size and telegram_file.file_size > FileSizeLimit.FILESIZE_DOWNLOAD:
        raise EditImageError(N_("it is over the 20 MB that bots can download from Telegram"))
    try:
        return bytes(await telegram_file.download_as_bytearray())
    except TelegramError as error:
        raise EditImageError(
            N_("downloading it from Telegram failed ({error})", error=error.message)
        ) from None


def to_data_uri(data: bytes) -> str:
    """Return the image as a data URI under the API's 10 MB limit, re-encoded when larger."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError):
        raise EditImageError(N_("it is not an image file")) from None

    mime_type = Image.MIME.get(image.format or "", "")
    uri = _data_uri(data, mime_type)
    if mime_type in ("image/jpeg", "image/png", "image/webp") and len(uri) <= MAX_IMAGE_BYTES:
        return uri

    rgb = image.convert("RGB")
    for quality, scale in _SHRINK_STEPS:
        resized = rgb
        if scale < 1.0:
            size = (max(1, int(rgb.width * scale)), max(1, int(rgb.height * scale)))
            resized = rgb.resize(size, Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        resized.save(buffer, format="JPEG", quality=quality)
        uri = _data_uri(buffer.getvalue(), "image/jpeg")
        if len(uri) <= MAX_IMAGE_BYTES:
            return uri
    raise EditImageError(N_("it stays over the API's 10 MB limit even when shrunk"))


def _data_uri(data: bytes, mime_type: str) -> str:
    return f"data:{mime_type};base64,{base64.b64encode(data).decode('ascii')}"
