"""Albums end to end: sizes, captions, and one bad item that must not sink the rest."""

from __future__ import annotations

from collections import Counter

import pytest
from telegram.error import RetryAfter

from bot.deliver import Destination, ImageOutcome
from bot.i18n import translator
from bot.render import plan_albums
from bot.tasks import Task, TaskImage, TaskState
from tests.fakes.images import png_bytes
from tests.fakes.telegram_html import parse_html
from tests.fakes.telegram_server import Fault, Stall
from tests.fakes.updates import ALICE
from tests.test_task_command import task_payload

ENGLISH = translator("en")


def make_id(number: int) -> str:
    return f"{number:08x}-0000-4000-8000-00000000a1b0"


def add_images(task_api, count: int, prefix: str = "img") -> list[str]:
    return [
        task_api.add_image(f"{prefix}/{n}.png", png_bytes(color=(n * 10 % 256, 80, 0)))
        for n in range(count)
    ]


def add_tasks(task_api, urls: list[str], per_task: int) -> list[str]:
    ids = []
    for number, start in enumerate(range(0, len(urls), per_task)):
        chunk = urls[start : start + per_task]
        ids.append(task_api.set_task(task_payload(make_id(number), chunk, f"prompt {number}")))
    return ids


def media_of(call) -> list[str]:
    return [item["media"] for item in call.params["media"]]


def captions_of(call) -> list[str | None]:
    return [item.get("caption") for item in call.params["media"]]


async def test_twenty_three_images_one_bad(bot, telegram, task_api):
    urls = add_images(task_api, 23)
    urls[13] = f"{task_api.base_url}/img/missing.png"
    ids = add_tasks(task_api, urls, per_task=5)

    await bot.command("/batch " + " ".join(ids))

    groups = telegram.sent("sendMediaGroup", ok=None)
    assert [len(call.params["media"]) for call in groups] == [10, 10, 9, 3]
    assert [call.ok for call in groups] == [True, False, True, True]
    assert "failed to send message #4" in groups[1].description
    assert media_of(groups[2]) == urls[10:13] + urls[14:20]
    delivered = telegram.delivered_media()
    assert Counter(delivered) == Counter(url for url in urls if url != urls[13])
    link_text = parse_html(telegram.sent("sendMessage")[-1].text)
    assert urls[13] in link_text
    assert "HTTP 404" in link_text
    assert ids[2] in link_text


async def test_eleven_images_album_and_photo(bot, telegram, task_api):
    urls = add_images(task_api, 11)
    ids = add_tasks(task_api, urls, per_task=11)

    await bot.command(f"/task {ids[0]}")

    [group] = telegram.sent("sendMediaGroup", ok=None)
    [photo] = telegram.sent("sendPhoto", ok=None)
    assert media_of(group) == urls[:10]
    assert photo.params["photo"] == urls[10]
    assert parse_html(group.params["media"][0]["caption"]).endswith(ids[0])
    assert captions_of(group)[1:] == [None] * 9
    assert photo.result["caption"].endswith(ids[0])
    assert group.at < photo.at


async def test_bad_first_item_moves_caption(bot, telegram, task_api):
    urls = add_images(task_api, 4)
    urls[0] = f"{task_api.base_url}/img/missing.png"
    [task_id] = add_tasks(task_api, urls, per_task=4)

    await bot.command(f"/task {task_id}")

    rejected, accepted = telegram.sent("sendMediaGroup", ok=None)
    assert "failed to send message #1" in rejected.description
    assert media_of(accepted) == urls[1:]
    assert parse_html(accepted.params["media"][0]["caption"]) == f"prompt 0\n🆔 {task_id}"
    assert captions_of(accepted)[1:] == [None, None]
    [link] = telegram.sent("sendMessage")
    assert parse_html(link.text).startswith("⚠️ This image could not be sent")
    assert "🆔" not in parse_html(link.text)


async def test_large_items_become_documents(bot, telegram, task_api, png_15mb):
    urls = add_images(task_api, 2)
    urls.append(task_api.add_image("img/huge.png", png_15mb))
    urls.append(task_api.add_image("img/wide.png", png_bytes(9000, 1200)))
    [task_id] = add_tasks(task_api, urls, per_task=4)

    await bot.command(f"/task {task_id}")

    rejected, photos, documents = telegram.sent("sendMediaGroup", ok=None)
    assert "failed to send message #3" in rejected.description
    assert media_of(photos) == urls[:2]
    assert [item["type"] for item in documents.params["media"]] == ["document", "document"]
    assert captions_of(photos)[0] is not None
    assert captions_of(documents) == [None, None]
    assert telegram.delivered_media() == [*urls[:2], "upload:huge.png", "upload:wide.png"]
    assert [item.filename for item in documents.files.values()] == ["huge.png", "wide.png"]
    assert telegram.sent("sendMessage", "sendPhoto", "sendDocument", ok=None) == []


async def test_only_documents_carry_caption(bot, telegram, task_api):
    urls = [
        task_api.add_image(f"img/wide{n}.png", png_bytes(2100 + n, 100)) for n in range(2)
    ]
    [task_id] = add_tasks(task_api, urls, per_task=2)

    await bot.command(f"/task {task_id}")

    rejected, documents = telegram.sent("sendMediaGroup", ok=None)
    assert "PHOTO_INVALID_DIMENSIONS" in rejected.description
    assert [item["type"] for item in documents.params["media"]] == ["document", "document"]
    assert parse_html(documents.params["media"][0]["caption"]).endswith(task_id)
    assert documents.result[0]["caption"].endswith(task_id)


async def test_named_item_uploaded_on_resend(bot, telegram, task_api):
    urls = add_images(task_api, 3)
    [task_id] = add_tasks(task_api, urls, per_task=3)
    telegram.add_fault(
        Fault(
            "sendMediaGroup",
            400,
            'Bad Request: failed to send message #2 with the error message "WEBPAGE_CURL_FAILED"',
        )
    )

    await bot.command(f"/task {task_id}")

    rejected, accepted = telegram.sent("sendMediaGroup", ok=None)
    assert media_of(rejected) == urls
    assert media_of(accepted)[0] == urls[0]
    assert media_of(accepted)[1].startswith("attach://")
    assert media_of(accepted)[2] == urls[2]
    assert telegram.delivered_media() == [urls[0], "upload:1.png", urls[2]]
    assert "Telegram could not use its URL" in bot.services.delivery.url_problems[urls[1]]


async def test_unnamed_failure_sends_one_by_one(bot, telegram, task_api):
    urls = add_images(task_api, 3)
    [task_id] = add_tasks(task_api, urls, per_task=3)
    telegram.add_fault(Fault("sendMediaGroup", 400, "Bad Request: group send failed"))

    await bot.command(f"/task {task_id}")

    assert len(telegram.sent("sendMediaGroup", ok=None)) == 1
    photos = telegram.sent("sendPhoto", ok=None)
    assert [call.params["photo"] for call in photos] == urls
    assert photos[0].result["caption"].endswith(task_id)
    assert ["caption" in call.params for call in photos] == [True, False, False]
    assert photos[0].params["reply_parameters"]["message_id"] > 0
    assert ["reply_parameters" in call.params for call in photos[1:]] == [False, False]


async def test_caption_parse_error_resends_plain(bot, telegram, task_api):
    urls = add_images(task_api, 2)
    [task_id] = add_tasks(task_api, urls, per_task=2)
    telegram.add_fault(
        Fault("sendMediaGroup", 400, "Bad Request: can't parse entities: Unexpected end tag")
    )

    await bot.command(f"/task {task_id}")

    rejected, accepted = telegram.sent("sendMediaGroup", ok=None)
    assert rejected.params["media"][0]["parse_mode"] == "HTML"
    assert "parse_mode" not in accepted.params["media"][0]
    assert accepted.params["media"][0]["caption"] == parse_html(
        rejected.params["media"][0]["caption"]
    )
    assert media_of(accepted) == urls


async def test_every_item_bad_link_text_has_caption(bot, telegram, task_api):
    urls = [f"{task_api.base_url}/img/gone{n}.png" for n in range(2)]
    [task_id] = add_tasks(task_api, urls, per_task=2)

    await bot.command(f"/task {task_id}")

    [group] = telegram.sent("sendMediaGroup", ok=None)
    assert not group.ok
    [link] = telegram.sent("sendMessage")
    text = parse_html(link.text)
    assert text.startswith(f"prompt 0\n🆔 {task_id}\n\n⚠️ 2 images could not be sent")
    assert urls[0] in text
    assert urls[1] in text
    assert link.params["reply_parameters"]["message_id"] > 0
    assert telegram.delivered_media() == []


@pytest.mark.bot_settings(telegram_timeout_seconds=0.5)
async def test_undelivered_timeout_not_repeated(bot, telegram, task_api):
    urls = add_images(task_api, 2)
    task = Task(
        id=make_id(0), state=TaskState.SUCCEEDED, images=tuple(TaskImage(url) for url in urls)
    )
    [album] = plan_albums(ENGLISH, [task])
    telegram.add_stall(Stall("sendMediaGroup", seconds=5, deliver=False))

    result = await bot.services.delivery.send_album(Destination(ALICE), album)

    [group] = telegram.sent("sendMediaGroup", ok=None)
    assert not group.ok
    assert not result.complete
    assert [image.outcome for image in result.images] == [ImageOutcome.UNKNOWN] * 2


async def test_flood_wait_inside_album_error(bot, telegram, task_api):
    urls = add_images(task_api, 3)
    task = Task(
        id=make_id(0), state=TaskState.SUCCEEDED, images=tuple(TaskImage(url) for url in urls)
    )
    [album] = plan_albums(ENGLISH, [task])
    telegram.add_fault(
        Fault(
            "sendMediaGroup",
            400,
            'Bad Request: failed to send message #2 with the error message '
            '"Too Many Requests: retry after 7"',
        )
    )

    with pytest.raises(RetryAfter) as raised:
        await bot.services.delivery.send_album(Destination(ALICE), album)

    assert str(raised.value) == "Flood control exceeded. Retry in 7 seconds"
    assert len(telegram.sent("sendMediaGroup", ok=None)) == 1
    # The fault came before Telegram fetched anything, and the bot downloaded nothing.
    assert task_api.image_requests == []


async def test_result_lists_each_outcome(bot, telegram, task_api, png_15mb):
    urls = add_images(task_api, 2)
    urls.append(task_api.add_image("img/huge.png", png_15mb))
    urls.append(f"{task_api.base_url}/img/missing.png")
    task = Task(
        id=make_id(0), state=TaskState.SUCCEEDED, images=tuple(TaskImage(url) for url in urls)
    )
    [album] = plan_albums(ENGLISH, [task])

    result = await bot.services.delivery.send_album(Destination(ALICE), album)

    assert [image.outcome for image in result.images] == [
        ImageOutcome.PHOTO,
        ImageOutcome.PHOTO,
        ImageOutcome.DOCUMENT,
        ImageOutcome.LINK,
    ]
    assert result.images[0].reason is None
    assert "over the 10 MB" in result.images[2].reason
    assert "HTTP 404" in result.images[3].reason
    assert result.complete
    assert len(result.messages) == 4
