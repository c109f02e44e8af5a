"""Delivering one task's image end to end: each fallback for an image or text Telegram rejects."""

from __future__ import annotations

import io
import logging

import pytest
from PIL import Image
from telegram.error import BadRequest, ChatMigrated, Forbidden

from bot.deliver import Destination, ImageOutcome
from bot.html_text import utf16_length
from bot.i18n import translator
from bot.limits import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH
from bot.render import plan_albums
from bot.tasks import Task, TaskImage, TaskState
from tests.fakes.images import jpeg_bytes, png_bytes
from tests.fakes.telegram_html import parse_html
from tests.fakes.telegram_server import Fault, Stall
from tests.fakes.updates import ALICE, supergroup_chat
from tests.test_task_command import SLOW_API_SECONDS, task_payload

ENGLISH = translator("en")

TASK_ID = "aaaaaaaa-0000-4000-8000-00000000d001"
FORUM_ID = -1009876543210


def webp_bytes(mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    color = (10, 200, 90, 128) if mode == "RGBA" else (10, 200, 90)
    Image.new(mode, (80, 60), color).save(buffer, format="WEBP")
    return buffer.getvalue()


def add_task(task_api, urls: list[str], prompt: str = "three cats") -> str:
    return task_api.set_task(task_payload(TASK_ID, urls, prompt))


def finished_task(urls: list[str], prompt: str = "three cats") -> Task:
    images = tuple(TaskImage(url) for url in urls)
    return Task(id=TASK_ID, state=TaskState.SUCCEEDED, prompt=prompt, images=images)


def texts(telegram) -> list[str]:
    return [parse_html(call.text) for call in telegram.sent("sendMessage")]


# Photos Telegram cannot fetch --------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "content_type", "body", "telegram_error", "reason"),
    [
        (404, "text/plain", b"not found", "failed to get HTTP URL content", "HTTP 404"),
        (403, "text/plain", b"forbidden", "failed to get HTTP URL content", "HTTP 403"),
        (
            200,
            "text/html",
            b"<html><body>Sign in</body></html>",
            "wrong type of the web page content",
            "it is not an image (text/html)",
        ),
    ],
)
async def test_unusable_url_sent_as_link(
    bot, telegram, task_api, status, content_type, body, telegram_error, reason
):
    url = task_api.add_image("img/bad.png", body, status=status, content_type=content_type)
    add_task(task_api, [url])

    await bot.command(f"/task {TASK_ID}")

    [photo] = telegram.sent("sendPhoto", ok=None)
    assert not photo.ok
    assert telegram_error in photo.description
    assert task_api.image_requests == ["img/bad.png", "img/bad.png"]
    [text] = texts(telegram)
    assert text.startswith(f"three cats\n🆔 {TASK_ID}\n\n⚠️ This image could not be sent")
    assert f"• {url} (task {TASK_ID}): " in text
    assert reason in text
    assert telegram.sent("sendDocument", ok=None) == []


async def test_rejected_url_not_sent_again(bot, telegram, task_api):
    url = f"{task_api.base_url}/img/missing.png"
    add_task(task_api, [url])

    await bot.command(f"/task {TASK_ID}")
    await bot.command(f"/task {TASK_ID}")

    assert len(telegram.sent("sendPhoto", ok=None)) == 1
    assert len(texts(telegram)) == 2
    assert "HTTP 404" in texts(telegram)[1]
    # One fetch by Telegram, then one download by the bot for each command.
    assert task_api.image_requests == ["img/missing.png"] * 3


@pytest.mark.parametrize(
    ("options", "telegram_error"),
    [
        ({"failures": 1}, "failed to get HTTP URL content"),
        ({"content_type": "application/octet-stream"}, "wrong type of the web page content"),
    ],
)
async def test_rejected_url_uploaded_as_photo(bot, telegram, task_api, options, telegram_error):
    data = png_bytes(320, 240)
    url = task_api.add_image("img/flaky.png", data, **options)
    add_task(task_api, [url])

    await bot.command(f"/task {TASK_ID}")

    rejected, uploaded = telegram.sent("sendPhoto", ok=None)
    assert telegram_error in rejected.description
    assert rejected.params["photo"] == url
    assert uploaded.ok
    assert uploaded.files["photo"].data == data
    assert uploaded.files["photo"].filename == "flaky.png"
    assert uploaded.result["caption"] == f"three cats\n🆔 {TASK_ID}"
    assert telegram.delivered_media() == ["upload:flaky.png"]
    assert telegram.sent("sendMessage") == []


# Sizes and dimensions --------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True])
async def test_seven_mb_png_uploaded_as_photo(bot, telegram, task_api, png_7mb, chunked):
    url = task_api.add_image("img/large.png", png_7mb, chunked=chunked)
    add_task(task_api, [url])

    await bot.command(f"/task {TASK_ID}")

    rejected, uploaded = telegram.sent("sendPhoto", ok=None)
    assert "failed to get HTTP URL content" in rejected.description
    assert rejected.fetches[0].size > 5_000_000
    assert uploaded.ok
    assert uploaded.files["photo"].data == png_7mb
    assert uploaded.result["photo"][0]["width"] == 1600
    assert uploaded.result["caption"].endswith(TASK_ID)
    assert telegram.sent("sendDocument", "sendMessage", ok=None) == []


async def test_fifteen_mb_png_sent_as_document(bot, telegram, task_api, png_15mb):
    url = task_api.add_image("img/huge.png", png_15mb)
    add_task(task_api, [url])

    await bot.command(f"/task {TASK_ID}")

    [rejected] = telegram.sent("sendPhoto", ok=None)
    assert rejected.params["photo"] == url
    [document] = telegram.sent("sendDocument", ok=None)
    assert document.ok
    assert document.files["document"].data == png_15mb
    assert document.result["document"]["file_name"] == "huge.png"
    assert document.result["caption"] == f"three cats\n🆔 {TASK_ID}"
    assert telegram.delivered_media() == ["upload:huge.png"]


@pytest.mark.parametrize(
    ("width", "height"),
    [(9000, 1200), (2100, 100), (100, 2100)],
    ids=["sides-over-10000", "wide-over-20-to-1", "tall-over-20-to-1"],
)
async def test_bad_dimensions_sent_as_document(bot, telegram, task_api, width, height):
    data = png_bytes(width, height)
    url = task_api.add_image("img/banner.png", data)
    add_task(task_api, [url])

    await bot.command(f"/task {TASK_ID}")

    [rejected] = telegram.sent("sendPhoto", ok=None)
    assert rejected.description == "Bad Request: PHOTO_INVALID_DIMENSIONS"
    [document] = telegram.sent("sendDocument")
    assert document.files["document"].data == data
    assert document.result["caption"].endswith(TASK_ID)


async def test_ratio_of_twenty_stays_photo(bot, telegram, task_api):
    url = task_api.add_image("img/strip.png", png_bytes(2000, 100))
    add_task(task_api, [url])

    await bot.command(f"/task {TASK_ID}")

    [photo] = telegram.sent("sendPhoto", ok=None)
    assert photo.ok
    assert photo.params["photo"] == url


async def test_download_over_cap_sent_as_link(bot, telegram, task_api):
    # 51 MB without Content-Length: over the 50 MB a bot can upload at all.
    url = task_api.add_image("img/endless.png", bytes(51_000_000), chunked=True)
    add_task(task_api, [url])

    await bot.command(f"/task {TASK_ID}", timeout=30)

    [text] = texts(telegram)
    assert "it is larger than 50 MB, the maximum this bot downloads" in text
    assert telegram.sent("sendDocument", ok=None) == []


# Formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "filename", "image_format"),
    [("RGB", "cat.jpg", "JPEG"), ("RGBA", "cat.png", "PNG")],
)
async def test_webp_converted_before_upload(bot, telegram, task_api, mode, filename, image_format):
    url = task_api.add_image("img/cat.webp", webp_bytes(mode), content_type="image/webp")
    add_task(task_api, [url])

    await bot.command(f"/task {TASK_ID}")

    [photo] = telegram.sent("sendPhoto", ok=None)
    assert photo.ok
    upload = photo.files["photo"]
    assert upload.filename == filename
    assert Image.open(io.BytesIO(upload.data)).format == image_format
    assert "sticker" not in photo.result
    assert photo.result["caption"] == f"three cats\n🆔 {TASK_ID}"
    # The URL never went to Telegram, which would have shown a sticker without the caption.
    assert task_api.image_requests == ["img/cat.webp"]


async def test_jpeg_url_sent_as_is(bot, telegram, task_api):
    url = task_api.add_image("img/photo.JPG", jpeg_bytes(), content_type="image/jpeg")
    add_task(task_api, [url])

    await bot.command(f"/task {TASK_ID}")

    [photo] = telegram.sent("sendPhoto", ok=None)
    assert photo.params["photo"] == url


# URLs --------------------------------------------------------------------------------------

SIGNED_PATH = (
    "img/a$b%2Bc~d%7Ee.png?X-Amz-Credential=AKIA%2F20250101%2Fus&X-Amz-Signature=ab%2Bcd%3D"
    "&token=x~y$z&plus=a+b"
)


async def test_signed_url_passed_byte_for_byte(bot, telegram, task_api):
    url = task_api.add_image(SIGNED_PATH, png_bytes())
    add_task(task_api, [url])

    await bot.command(f"/task {TASK_ID}")

    [photo] = telegram.sent("sendPhoto", ok=None)
    assert photo.ok
    assert photo.params["photo"] == url
    assert task_api.image_requests == [SIGNED_PATH]


async def test_signed_url_downloaded_byte_for_byte(bot, telegram, task_api):
    url = task_api.add_image(SIGNED_PATH, png_bytes(), content_type="binary/octet-stream")
    add_task(task_api, [url])

    await bot.command(f"/task {TASK_ID}")

    rejected, uploaded = telegram.sent("sendPhoto", ok=None)
    assert rejected.params["photo"] == url
    assert uploaded.ok
    assert uploaded.files["photo"].filename == "a_b_c_d_e.png"
    assert task_api.image_requests == [SIGNED_PATH, SIGNED_PATH]


# Texts and captions ----------------------------------------------------------------------


async def test_markdown_lookalikes_shown_as_typed(bot, telegram, task_api):
    prompt = "_a_ *b* __c__ [d](http://e) `f` ~g~ ||h|| \\* <i>j</i> & k > 1 &amp;"
    url = task_api.add_image("img/ok.png", png_bytes())
    add_task(task_api, [url], prompt)

    await bot.command(f"/task {TASK_ID}")

    [photo] = telegram.sent("sendPhoto")
    assert photo.result["caption"] == f"{prompt}\n🆔 {TASK_ID}"


async def test_caption_parse_error_resent_plain(bot, telegram, task_api):
    prompt = "<b>cats & dogs</b>"
    url = task_api.add_image("img/ok.png", png_bytes())
    add_task(task_api, [url], prompt)
    telegram.add_fault(
        Fault("sendPhoto", 400, "Bad Request: can't parse entities: Unsupported start tag")
    )

    await bot.command(f"/task {TASK_ID}")

    rejected, resent = telegram.sent("sendPhoto", ok=None)
    assert rejected.params["parse_mode"] == "HTML"
    assert resent.ok
    assert "parse_mode" not in resent.params
    assert resent.params["photo"] == url
    assert resent.result["caption"] == f"{prompt}\n🆔 {TASK_ID}"
    assert task_api.image_requests == ["img/ok.png"]


async def test_text_parse_error_resent_plain(bot, telegram, task_api):
    telegram.add_fault(
        Fault("sendMessage", 400, "Bad Request: can't parse entities: Unexpected end tag")
    )

    await bot.command("/task 11111111-2222-4333-8444-555555555555")

    rejected, resent = telegram.sent("sendMessage", ok=None)
    assert rejected.params["parse_mode"] == "HTML"
    assert "parse_mode" not in resent.params
    assert resent.ok
    assert resent.text == parse_html(rejected.text)
    assert resent.params["reply_parameters"] == rejected.params["reply_parameters"]


async def test_long_prompt_cut_then_sent_whole(bot, telegram, task_api):
    prompt = ("a <cat> & a dog, " * 100)[:1500]
    url = task_api.add_image("img/ok.png", png_bytes())
    add_task(task_api, [url], prompt)

    await bot.command(f"/task {TASK_ID}")

    [photo] = telegram.sent("sendPhoto")
    caption = photo.result["caption"]
    assert utf16_length(caption) <= MAX_CAPTION_LENGTH
    assert caption.endswith(f"…\n🆔 {TASK_ID}")
    assert prompt.startswith(caption.split("…")[0])

    [full] = telegram.sent("sendMessage")
    assert full.at > photo.at
    assert full.params["reply_parameters"]["message_id"] == photo.result["message_id"]
    assert parse_html(full.text) == f"📝 Full prompt of task {TASK_ID}:\n{prompt}"


async def test_emoji_prompt_split_in_order(bot, telegram, task_api):
    # 500 blocks of 13 UTF-16 code units: 6500 in all, so two messages.
    prompt = "🍌 <b>&</b> " * 500
    url = task_api.add_image("img/ok.png", png_bytes())
    add_task(task_api, [url], prompt)

    await bot.command(f"/task {TASK_ID}")

    parts = telegram.sent("sendMessage")
    assert len(parts) == 2
    for part in parts:
        assert utf16_length(parse_html(part.text)) <= MAX_TEXT_LENGTH
        assert part.text.count("<blockquote expandable>") == 1
        assert part.text.endswith("</blockquote>")
    assert parts[0].at < parts[1].at
    assert "reply_parameters" not in parts[1].params
    joined = parse_html(parts[0].text) + parse_html(parts[1].text)
    assert joined == f"📝 Full prompt of task {TASK_ID}:\n{prompt}"


# Forum topics ------------------------------------------------------------------------------


async def test_topic_gets_every_fallback(bot, telegram, task_api, png_15mb):
    good = task_api.add_image("img/good.png", png_bytes())
    huge = task_api.add_image("img/huge.png", png_15mb)
    missing = f"{task_api.base_url}/img/missing.png"
    add_task(task_api, [good, huge, missing], "a lighthouse " * 100)
    forum = supergroup_chat(FORUM_ID, forum=True)
    task_api.latency = SLOW_API_SECONDS

    await bot.command(f"/task {TASK_ID}", chat=forum, thread_id=42)

    calls = telegram.sent("sendMediaGroup", "sendPhoto", "sendDocument", "sendMessage", ok=None)
    assert {call.method for call in calls} == {
        "sendMediaGroup", "sendPhoto", "sendDocument", "sendMessage"
    }
    assert {call.thread_id for call in calls} == {42}
    assert {call.thread_id for call in telegram.sent("sendChatAction")} == {42}
    assert telegram.delivered_media() == [good, "upload:huge.png"]
    link_text, full_prompt = texts(telegram)
    assert missing in link_text
    assert full_prompt.startswith(f"📝 Full prompt of task {TASK_ID}:")


async def test_notification_keeps_topic(bot, telegram, task_api):
    missing = f"{task_api.base_url}/img/missing.png"
    [album] = plan_albums(ENGLISH, [finished_task([missing])])

    result = await bot.services.delivery.send_album(Destination(FORUM_ID, 42), album)

    [photo] = telegram.sent("sendPhoto", ok=None)
    [text] = telegram.sent("sendMessage")
    assert photo.thread_id == 42
    assert text.thread_id == 42
    assert [image.outcome for image in result.images] == [ImageOutcome.LINK]
    assert result.complete
    assert result.messages[0].message_id == text.result["message_id"]


# Timeouts ----------------------------------------------------------------------------------


@pytest.mark.bot_settings(telegram_timeout_seconds=0.5)
@pytest.mark.parametrize(("method", "count"), [("sendPhoto", 1), ("sendMediaGroup", 4)])
async def test_timed_out_send_not_repeated(bot, telegram, task_api, caplog, method, count):
    urls = [task_api.add_image(f"img/{n}.png", png_bytes(color=(n, 0, 0))) for n in range(count)]
    add_task(task_api, urls)
    telegram.add_stall(Stall(method, seconds=5))
    caplog.set_level(logging.WARNING, logger="bot")

    await bot.command(f"/task {TASK_ID}")

    [call] = telegram.sent(method, ok=None)
    assert call.ok
    others = {"sendPhoto", "sendMediaGroup", "sendDocument", "sendMessage"} - {method}
    assert telegram.sent(*others, ok=None) == []
    [record] = [r for r in caplog.records if r.name == "bot.album_sender"]
    assert "timed out" in record.getMessage()
    assert f"chat {ALICE}" in record.getMessage()
    assert TASK_ID in record.getMessage()


@pytest.mark.bot_settings(telegram_timeout_seconds=0.5)
async def test_timed_out_album_reported_unknown(bot, telegram, task_api):
    urls = [task_api.add_image(f"img/{n}.png", png_bytes(color=(n, 0, 0))) for n in range(3)]
    [album] = plan_albums(ENGLISH, [finished_task(urls)])
    telegram.add_stall(Stall("sendMediaGroup", seconds=5))

    result = await bot.services.delivery.send_album(Destination(ALICE), album)

    assert not result.complete
    assert [image.outcome for image in result.images] == [ImageOutcome.UNKNOWN] * 3
    assert result.messages == ()
    assert len(telegram.sent("sendMediaGroup", ok=None)) == 1


# Errors for the caller ---------------------------------------------------------------------


async def test_blocked_chat_raises_forbidden(bot, telegram, task_api):
    url = f"{task_api.base_url}/img/missing.png"
    [album] = plan_albums(ENGLISH, [finished_task([url])])
    telegram.blocked_chats.add(ALICE)

    with pytest.raises(Forbidden, match="blocked"):
        await bot.services.delivery.send_album(Destination(ALICE), album)

    assert task_api.image_requests == []


async def test_migrated_chat_raises_chat_migrated(bot, telegram, task_api):
    url = task_api.add_image("img/ok.png", png_bytes())
    [album] = plan_albums(ENGLISH, [finished_task([url])])
    telegram.migrated_chats[-4001] = -1001234567890

    with pytest.raises(ChatMigrated) as raised:
        await bot.services.delivery.send_album(Destination(-4001), album)

    assert raised.value.new_chat_id == -1001234567890


async def test_flood_wait_waited_out_by_rate_limiter(bot, telegram, task_api):
    url = task_api.add_image("img/ok.png", png_bytes())
    [album] = plan_albums(ENGLISH, [finished_task([url])])
    telegram.add_fault(
        Fault("sendPhoto", 429, "Too Many Requests: retry after 1", {"retry_after": 1})
    )

    result = await bot.services.delivery.send_album(Destination(ALICE), album)

    first, second = telegram.sent("sendPhoto", ok=None)
    assert not first.ok
    assert second.ok
    assert second.at - first.at >= 1.0
    assert result.complete


async def test_closed_topic_raises_unchanged(bot, telegram, task_api):
    url = task_api.add_image("img/ok.png", png_bytes())
    [album] = plan_albums(ENGLISH, [finished_task([url])])
    telegram.add_fault(Fault("sendPhoto", 400, "Bad Request: TOPIC_CLOSED"))

    with pytest.raises(BadRequest, match="(?i)topic_closed"):
        await bot.services.delivery.send_album(Destination(FORUM_ID, 42), album)

    assert len(telegram.sent("sendPhoto", ok=None)) == 1
    assert task_api.image_requests == []
