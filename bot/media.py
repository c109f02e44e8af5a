"""Checking image bytes with Pillow and making them fit to upload as a photo or a document."""

from __future__ import annotations

import io
import mimetypes
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from PIL import Image, UnidentifiedImageError

from bot.i18n import N_, LazyText
from bot.limits import (
    MAX_PHOTO_ASPECT_RATIO,
    MAX_PHOTO_DIMENSIONS_SUM,
    MAX_PHOTO_UPLOAD_BYTES,
    MAX_PHOTO_URL_BYTES,
    PHOTO_FORMATS,
)

_MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png"}
_JPEG_QUALITY = 95
_MAX_FILENAME_STEM = 64


class NotAnImageError(ValueError):
    """Raised when bytes are not an image that Pillow can read. The message, a LazyText, is
    the reason."""


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """JPEG or PNG bytes to upload, with what Telegram checks before it accepts a photo."""

    data: bytes
    filename: str
    mime_type: str
    width: int
    height: int
    # The reason Telegram would reject these bytes as a photo, so that they go as a document,
    # or None when they fit a photo.
    photo_problem: LazyText | None
    # Pillow's name of the format the bytes were converted from, or None when unchanged.
    converted_from: str | None = None


def prepare_image(data: bytes, url: str, content_type: str = "") -> PreparedImage:
    """Check that `data` is an image and return it in a format Telegram shows as a photo.

    JPEG and PNG stay byte for byte as they are. Any other format is converted: to PNG when
    it has transparency, else to JPEG, and an animation keeps only its first frame. Raises
    NotAnImageError when Pillow cannot read `data`; `content_type` only words that error.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            original_format = image.format or "unknown"
            if original_format in PHOTO_FORMATS:
                image_format = original_format
            else:
                data, image_format = _convert(image)
            width, height = image.size
    except Image.DecompressionBombError:
        raise NotAnImageError(N_("it has too many pixels for the bot to check")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise NotAnImageError(_not_an_image_reason(content_type)) from None

    return PreparedImage(
        data=data,
        filename=_filename(url, image_format),
        mime_type=_MIME_TYPES[image_format],
        width=width,
        height=height,
        photo_problem=photo_problem(len(data), width, height),
        converted_from=None if image_format == original_format else original_format,
    )


def photo_problem(size: int, width: int, height: int) -> LazyText | None:
    """Return why Telegram would reject an uploaded photo of this size in bytes and pixels."""
    if size > MAX_PHOTO_UPLOAD_BYTES:
        return N_(
            "it is {size:.1f} MB, over the {max_size:g} MB Telegram accepts for a photo",
            size=size / 1_000_000,
            max_size=MAX_PHOTO_UPLOAD_BYTES / 1_000_000,
        )
    if width + height > MAX_PHOTO_DIMENSIONS_SUM:
        return N_(
            "it is {width}×{height} pixels, and Telegram accepts a photo only when its width "
            "plus height is at most {max_sum}",
            width=width,
            height=height,
            max_sum=MAX_PHOTO_DIMENSIONS_SUM,
        )
    if max(width, height) > MAX_PHOTO_ASPECT_RATIO * max(1, min(width, height)):
        return N_(
            "it is {width}×{height} pixels, and Telegram accepts a photo only when its longer "
            "side is at most {max_ratio} times its shorter side",
            width=width,
            height=height,
            max_ratio=MAX_PHOTO_ASPECT_RATIO,
        )
    return None


def url_format_problem(url: str) -> LazyText | None:
    """Return why `url` should not go to Telegram as a photo, judged by its file extension.

    A URL without a known image extension returns None: only its content can tell.
    """
    mime_type, _ = mimetypes.guess_type(urlsplit(url).path)
    if mime_type is None or not mime_type.startswith("image/"):
        return None
    if mime_type in _MIME_TYPES.values():
        return None
    return N_("it is {format}, which Telegram does not show as a photo", format=mime_type)


def url_photo_problem(size: int, content_type: str, image: PreparedImage) -> LazyText | None:
    """Return why Telegram would reject an image as a photo sent by its URL, or None.

    `size` and `content_type` describe the response of the image's URL, which is what Telegram
    downloads, and `image` is that response prepared for upload.
    """
    if image.converted_from is not None:
        return N_(
            "it is {format}, which Telegram does not show as a photo", format=image.converted_from
        )
    if size > MAX_PHOTO_URL_BYTES:
        return N_(
            "it is {size:.1f} MB, over the {max_size:g} MB Telegram downloads for a photo",
            size=size / 1_000_000,
            max_size=MAX_PHOTO_URL_BYTES / 1_000_000,
        )
    if not content_type:
        return N_("its server sends it without a type, not as an image")
    if not content_type.startswith("image/"):
        return N_("its server sends it as {content_type}, not as an image", content_type=content_type)
    return image.photo_problem


def _convert(image: Image.Image) -> tuple[bytes, str]:
    image.seek(0)
    buffer = io.BytesIO()
    if image.has_transparency_data:
        image.convert("RGBA").save(buffer, format="PNG")
        return buffer.getvalue(), "PNG"
    image.convert("RGB").save(buffer, format="JPEG", quality=_JPEG_QUALITY)
    return buffer.getvalue(), "JPEG"


def _filename(url: str, image_format: str) -> str:
    """Return a file name for an upload: the URL's last path segment, with the format's extension."""
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    stem = re.sub(r"[^\w.-]", "_", PurePosixPath(name).stem)[:_MAX_FILENAME_STEM].strip("._")
    return f"{stem or 'image'}{_EXTENSIONS[image_format]}"


def _not_an_image_reason(content_type: str) -> LazyText:
    kind = content_type.split(";", 1)[0].strip()
    return N_("it is not an image ({kind})", kind=kind) if kind else N_("it is not an image")
