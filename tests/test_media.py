"""Image checks and conversion with Pillow, downloads with a size cap, and Telegram's errors."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image
from telegram.error import BadRequest

from bot.download import DownloadError, ImageDownloader
from bot.media import (
    NotAnImageError,
    PreparedImage,
    photo_problem,
    prepare_image,
    url_format_problem,
    url_photo_problem,
)
from bot.telegram_errors import (
    failed_album_item,
    flood_wait_seconds,
    is_chat_error,
    is_entity_error,
)
from tests.fakes.images import jpeg_bytes, png_bytes
from tests.fakes.loopback import closed_port


def encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def assert_problem(problem: str | None, words: str | None) -> None:
    """Assert that there is no problem when `words` is None, else that it contains them."""
    if words is None:
        assert problem is None
    else:
        assert problem is not None
        assert words in problem


# photo_problem -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "width", "height", "words"),
    [
        (10_000_000, 5000, 5000, None),
        (10_000_001, 100, 100, "10.0 MB, over the 10 MB"),
        (1000, 5000, 5000, None),
        (1000, 5001, 5000, "width plus height is at most 10000"),
        (1000, 2000, 100, None),
        (1000, 2001, 100, "at most 20 times its shorter side"),
        (1000, 100, 2001, "at most 20 times its shorter side"),
        (1000, 1, 1, None),
    ],
)
def test_photo_problem(size, width, height, words):
    assert_problem(photo_problem(size, width, height), words)


# url_format_problem ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "mime_type"),
    [
        ("https://cdn.example/a.webp", "image/webp"),
        ("https://cdn.example/a.WEBP?sig=1", "image/webp"),
        ("https://cdn.example/a.gif", "image/gif"),
        ("https://cdn.example/a.png", None),
        ("https://cdn.example/a.JPG", None),
        ("https://cdn.example/a.jpeg", None),
        ("https://cdn.example/image?format=webp", None),
        ("https://cdn.example/a.pdf", None),
        ("https://cdn.example/a.png?name=b.webp", None),
    ],
)
def test_url_format_problem(url, mime_type):
    problem = url_format_problem(url)

    if mime_type is None:
        assert problem is None
    else:
        assert problem == f"it is {mime_type}, which Telegram does not show as a photo"


# prepare_image -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "mime_type"),
    [(png_bytes(), "image/png"), (jpeg_bytes(), "image/jpeg")],
    ids=["png", "jpeg"],
)
def test_photo_formats_kept_byte_for_byte(data, mime_type):
    image = prepare_image(data, "https://cdn.example/x/cat.png")

    assert image.data == data
    assert image.mime_type == mime_type
    assert image.converted_from is None
    assert (image.width, image.height) == (64, 48)
    assert image.photo_problem is None


@pytest.mark.parametrize(
    ("source", "source_format", "target_format"),
    [
        (Image.new("RGB", (40, 30), (1, 2, 3)), "WEBP", "JPEG"),
        (Image.new("RGBA", (40, 30), (1, 2, 3, 100)), "WEBP", "PNG"),
        (Image.new("RGB", (40, 30), (1, 2, 3)), "BMP", "JPEG"),
        (Image.new("RGB", (40, 30), (1, 2, 3)), "TIFF", "JPEG"),
        (Image.new("P", (40, 30)), "GIF", "JPEG"),
        (Image.new("LA", (40, 30)), "PNG", "PNG"),
    ],
    ids=["webp", "webp-alpha", "bmp", "tiff", "gif", "png-gray-alpha"],
)
def test_other_formats_converted(source, source_format, target_format):
    data = encoded(source, source_format)

    image = prepare_image(data, "https://cdn.example/a/cat.any")

    assert Image.open(io.BytesIO(image.data)).format == target_format
    assert image.converted_from == (None if source_format == target_format else source_format)
    assert (image.width, image.height) == (40, 30)
    assert image.filename == "cat" + (".png" if target_format == "PNG" else ".jpg")


def test_animation_keeps_first_frame():
    frames = [Image.new("RGB", (20, 20), color) for color in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="WEBP", save_all=True, append_images=frames[1:])

    image = prepare_image(buffer.getvalue(), "https://cdn.example/spin.webp")

    converted = Image.open(io.BytesIO(image.data)).convert("RGB")
    red, green, blue = converted.getpixel((10, 10))
    assert red > 200
    assert blue < 60


def test_converted_size_decides_photo_problem():
    data = encoded(Image.new("RGB", (9900, 200)), "WEBP")

    image = prepare_image(data, "https://cdn.example/wide.webp")

    assert image.converted_from == "WEBP"
    assert image.photo_problem is not None
    assert "width plus height" in image.photo_problem


@pytest.mark.parametrize(
    ("data", "content_type", "reason"),
    [
        (b"<html><body>Sign in</body></html>", "text/html; charset=utf-8", "it is not an image (text/html)"),
        (b"", "", "it is not an image"),
        (png_bytes()[:40], "image/png", "it is not an image (image/png)"),
        (b"%PDF-1.7 not really", "application/pdf", "it is not an image (application/pdf)"),
    ],
    ids=["html", "empty", "truncated-png", "pdf"],
)
def test_not_an_image_raises(data, content_type, reason):
    with pytest.raises(NotAnImageError) as raised:
        prepare_image(data, "https://cdn.example/a.png", content_type)

    assert str(raised.value) == reason


@pytest.mark.parametrize(
    ("url", "filename"),
    [
        ("https://cdn.example/nanobanana/7e7b.png", "7e7b.png"),
        ("https://cdn.example/a/b%20c%2Bd.png?sig=x.webp", "b_c_d.png"),
        ("https://cdn.example/", "image.png"),
        ("https://cdn.example/download?id=3", "download.png"),
        ("https://cdn.example/" + "x" * 300 + ".png", "x" * 64 + ".png"),
        ("https://cdn.example/..%2F..%2Fetc%2Fpasswd", "passwd.png"),
    ],
)
def test_upload_filename(url, filename):
    assert prepare_image(png_bytes(), url).filename == filename


# url_photo_problem -------------------------------------------------------------------------


def prepared(**overrides: object) -> PreparedImage:
    values: dict[str, object] = {
        "data": b"x",
        "filename": "a.png",
        "mime_type": "image/png",
        "width": 100,
        "height": 100,
        "photo_problem": None,
    }
    values.update(overrides)
    return PreparedImage(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("size", "content_type", "image", "words"),
    [
        (5_000_000, "image/png", prepared(), None),
        (5_000_001, "image/png", prepared(), "over the 5 MB Telegram downloads"),
        (1000, "application/octet-stream", prepared(), "sends it as application/octet-stream"),
        (1000, "", prepared(), "sends it without a type"),
        (1000, "image/webp", prepared(converted_from="WEBP"), "it is WEBP"),
        (1000, "image/png", prepared(photo_problem="too wide"), "too wide"),
    ],
)
def test_url_photo_problem(size, content_type, image, words):
    assert_problem(url_photo_problem(size, content_type, image), words)


# ImageDownloader ---------------------------------------------------------------------------


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0)) as client:
        yield client


@pytest.mark.parametrize("chunked", [False, True])
async def test_download_within_cap(task_api, http, chunked):
    data = png_bytes(200, 200)
    url = task_api.add_image("d/ok.png", data, chunked=chunked)

    download = await ImageDownloader(http, max_bytes=len(data)).download(url)

    assert download.data == data
    assert download.content_type == "image/png"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "no-content-length"])
async def test_download_over_cap_raises(task_api, http, chunked):
    url = task_api.add_image("d/big.bin", bytes(300_000), chunked=chunked)

    with pytest.raises(DownloadError) as raised:
        await ImageDownloader(http, max_bytes=100_000).download(url)

    assert str(raised.value) == "it is larger than 0.1 MB, the maximum this bot downloads"


@pytest.mark.parametrize(
    ("status", "reason"),
    [(404, "the image server responded with HTTP 404"), (503, "the image server responded with HTTP 503")],
)
async def test_download_http_error_raises(task_api, http, status, reason):
    url = task_api.add_image("d/err.png", b"error page", status=status)

    with pytest.raises(DownloadError) as raised:
        await ImageDownloader(http).download(url)

    assert str(raised.value) == reason


async def test_download_timeout_raises(task_api, http):
    url = task_api.add_image("d/slow.png", png_bytes(), delay=2)

    with pytest.raises(DownloadError) as raised:
        await ImageDownloader(http, total_timeout=0.2).download(url)

    assert str(raised.value) == "the download timed out"


async def test_download_refused_connection_raises(http):
    url = f"http://127.0.0.1:{closed_port()}/a.png"

    with pytest.raises(DownloadError) as raised:
        await ImageDownloader(http).download(url)

    assert str(raised.value) == "the image server could not be reached"


async def test_download_keeps_url_escapes(task_api, http):
    path = "d/a%2Bb~c%7E$.png?sig=x%2Fy%3D&e=1"
    url = task_api.add_image(path, png_bytes())

    await ImageDownloader(http).download(url)

    assert task_api.image_requests == [path]


# Telegram's errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "position"),
    [
        ('Bad Request: failed to send message #1 with the error message "X"', 0),
        ('Bad Request: failed to send message #10 with the error message "X"', 9),
        ("Bad Request: group send failed", None),
        ("Bad Request: failed to send message #0 with the error message", None),
        ("Bad Request: wrong file identifier/HTTP URL specified", None),
    ],
)
def test_failed_album_item(description, position):
    assert failed_album_item(BadRequest(description)) == position


@pytest.mark.parametrize(
    ("description", "seconds"),
    [
        ('Bad Request: failed to send message #2 with the error message "Too Many Requests: retry after 7"', 7),
        ("Too Many Requests: retry after 35", 35),
        ("Bad Request: PHOTO_INVALID_DIMENSIONS", None),
    ],
)
def test_flood_wait_seconds(description, seconds):
    assert flood_wait_seconds(BadRequest(description)) == seconds


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Bad Request: chat not found", True),
        ("Bad Request: message thread not found", True),
        ("Bad Request: TOPIC_CLOSED", True),
        ("Bad Request: not enough rights to send photos to the chat", True),
        ("Bad Request: failed to get HTTP URL content", False),
        ("Bad Request: PHOTO_INVALID_DIMENSIONS", False),
        ("Bad Request: can't parse entities: Unsupported start tag", False),
    ],
)
def test_is_chat_error(description, expected):
    assert is_chat_error(BadRequest(description)) is expected


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 3", True),
        ("Bad Request: message is too long", False),
    ],
)
def test_is_entity_error(description, expected):
    assert is_entity_error(BadRequest(description)) is expected
