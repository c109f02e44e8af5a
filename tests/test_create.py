"""/imagine and /edit end to end, against the fake images API and the fake Bot API."""

from __future__ import annotations

import base64
import io
import json
from datetime import datetime, timezone

import pytest
from PIL import Image

from tests.fakes.images import noise_png_bytes, png_bytes
from tests.fakes.loopback import closed_port
from tests.fakes.task_api import ScriptedResponse
from tests.fakes.telegram_html import parse_html
from tests.fakes.updates import ALICE, BOB, group_chat, message, supergroup_chat
from tests.harness import started_bot

CREATE_ON = {"allow_create": True, "create_images_per_user_per_day": 10}
TEAM = group_chat(-4200)


def texts_to(telegram, chat_id: int = ALICE) -> list[str]:
    return [parse_html(call.text) for call in telegram.sent("sendMessage", chat_id=chat_id)]


def error_body(code: str, message: str = "refused") -> bytes:
    body = {"success": False, "error": {"code": code, "message": message}, "trace_id": "t-1"}
    return json.dumps(body).encode()


async def images_used(bot, user_id: int = ALICE) -> int:
    day = datetime.now(timezone.utc).date().isoformat()
    return await bot.services.store.images_used(user_id, day)


def decode_data_uri(uri: str) -> tuple[str, bytes]:
    header, _, data = uri.partition(",")
    return header, base64.b64decode(data)


async def test_creation_off_by_default(bot, telegram, task_api):
    await bot.command("/imagine a cat")

    assert texts_to(telegram) == [
        "Creating images is turned off on this bot. Its operator can turn it on with the "
        "ALLOW_CREATE setting."
    ]
    assert task_api.calls == []


@pytest.mark.bot_settings(**CREATE_ON)
async def test_imagine_starts_async_task_and_watches(bot, telegram, task_api):
    await bot.command("/imagine a lighthouse at dusk --model nano-banana-pro --ar 16:9 --res 2K --n 2", message_id=71)

    [payload] = task_api.started
    assert payload == {
        "action": "generate",
        "prompt": "a lighthouse at dusk",
        "async": True,
        "model": "nano-banana-pro",
        "aspect_ratio": "16:9",
        "resolution": "2K",
        "count": 2,
    }
    [call] = task_api.calls
    assert call.authorization.startswith("Bearer ")
    task_id = json.loads(next(iter(task_api.tasks.values())))["id"]
    [reply] = telegram.sent("sendMessage")
    assert parse_html(reply.text) == (
        f"🎨 Generating: task {task_id} (nano-banana-pro, 16:9, 2K, 2 images).\n"
        "Prompt: a lighthouse at dusk\n"
        "The images will be sent here when it finishes. You have 8 of your 10 images left today."
    )
    assert reply.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"unwatch:t:{task_id}"
    [watch] = await bot.services.store.open_watches_of_chat(ALICE)
    assert watch.task_id == task_id
    assert watch.source_message_id == 71
    assert await images_used(bot) == 2


@pytest.mark.bot_settings(**CREATE_ON)
async def test_imagine_result_delivered_once(bot, telegram, task_api):
    image_url = task_api.add_image("img/made.png", png_bytes())
    await bot.command("/imagine a cat in a hat", chat=TEAM)
    [task_id] = [json.loads(raw)["id"] for raw in task_api.tasks.values()]

    await bot.services.poller.run_cycle()
    task_api.finish_task(task_id, [image_url])
    await bot.services.poller.run_cycle()
    await bot.services.poller.run_cycle()

    [photo] = telegram.sent("sendPhoto", chat_id=TEAM["id"])
    assert parse_html(photo.caption) == f"a cat in a hat\n🆔 {task_id}"


@pytest.mark.bot_settings(**CREATE_ON)
async def test_defaults_left_to_api(bot, telegram, task_api):
    await bot.command("/imagine a plain cat")

    [payload] = task_api.started
    assert payload == {"action": "generate", "prompt": "a plain cat", "async": True}
    assert "(default model, 1 image)" in texts_to(telegram)[0]


@pytest.mark.bot_settings(**CREATE_ON)
@pytest.mark.parametrize(
    ("options", "named"),
    [
        ("--model dalle", "'dalle' is not a valid model"),
        ("--ar 21:9", "'21:9' is not a valid aspect ratio"),
        ("--res 8K", "'8K' is not a valid resolution"),
        ("--n 9", "'9' is not a valid number of images"),
        ("--seed 4", "Unknown option --seed"),
    ],
)
async def test_bad_option_named_nothing_spent(bot, telegram, task_api, options, named):
    await bot.command(f"/imagine a cat {options}")

    [text] = texts_to(telegram)
    assert text.startswith(f"⚠️ {named}")
    assert text.endswith("Nothing was created. Options: --model, --ar, --res, --n.")
    assert task_api.calls == []
    assert await images_used(bot) == 0


@pytest.mark.bot_settings(**CREATE_ON)
async def test_imagine_without_prompt_gets_usage(bot, telegram, task_api):
    await bot.command("/imagine --ar 1:1")

    assert texts_to(telegram)[0].startswith("Send /imagine followed by a prompt")
    assert task_api.calls == []


@pytest.mark.bot_settings(**CREATE_ON)
@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        (403, "used_up", "has no credit left"),
        (403, "forbidden", "The safety filter rejected this request"),
        (413, "request_too_large", "takes images of up to 10 MB"),
        (401, "token_expired", "rejected this bot's AceData API token"),
        (400, "bad_request", "The images API rejected the request: refused"),
    ],
)
async def test_creation_error_explained_and_refunded(bot, telegram, task_api, status, code, words):
    task_api.script(ScriptedResponse(status=status, body=error_body(code), action="generate"))

    await bot.command("/imagine a cat --n 3")

    [text] = texts_to(telegram)
    assert words in text
    assert await images_used(bot) == 0
    assert await bot.services.store.count_open() == 0


@pytest.mark.bot_settings(**CREATE_ON)
async def test_server_error_not_retried(bot, telegram, task_api):
    task_api.script(*[ScriptedResponse(status=500, body=error_body("api_error"), action="generate")] * 3)

    await bot.command("/imagine a cat")

    assert len(task_api.calls) == 1
    assert "failed on its side" in texts_to(telegram)[0]


@pytest.mark.bot_settings(**CREATE_ON, api_timeout_seconds=0.2)
async def test_timeout_keeps_images_counted(bot, telegram, task_api):
    task_api.script(ScriptedResponse(body=b'{"task_id": "late"}', delay=1, action="generate"))

    await bot.command("/imagine a cat --n 2")

    assert len(task_api.calls) == 1
    assert texts_to(telegram)[0].startswith("⚠️ The images API did not answer in time.")
    assert await images_used(bot) == 2


@pytest.mark.bot_settings(allow_create=True, create_images_per_user_per_day=3)
async def test_daily_cap_per_user(bot, telegram, task_api):
    await bot.command("/imagine a cat --n 2")
    await bot.command("/imagine a dog --n 2")
    await bot.command("/imagine a dog", chat=group_chat(-4300), from_user=BOB)

    texts = texts_to(telegram)
    assert texts[1] == (
        "⚠️ This request asks for 2 images, and you have 1 of your 3 images left today (UTC). "
        "Ask for fewer with --n, or try again tomorrow."
    )
    assert len(task_api.started) == 2
    assert await images_used(bot) == 2
    assert await images_used(bot, BOB) == 1


@pytest.mark.bot_settings(
    **CREATE_ON, allowed_chat_ids=frozenset({TEAM["id"]}), allowed_user_ids=frozenset({ALICE})
)
async def test_creation_follows_allowed_users(bot, telegram, task_api):
    await bot.command("/imagine a cat", chat=TEAM, from_user=BOB)
    await bot.command("/imagine a cat", chat=TEAM, from_user=ALICE)

    texts = texts_to(telegram, TEAM["id"])
    assert texts[0] == "Creating images on this bot is open only to the users its operator listed."
    assert texts[1].startswith("🎨 Generating: task ")
    assert len(task_api.started) == 1


@pytest.mark.bot_settings(**CREATE_ON, watch_limit_per_chat=1)
async def test_full_watch_list_blocks_creation(bot, telegram, task_api):
    await bot.command("/watch 4d320ead-4af4-4a55-8f3e-f2afebdf4fd0")

    await bot.command("/imagine a cat")

    assert texts_to(telegram)[-1].startswith("⚠️ This chat already watches the maximum number of tasks (1)")
    assert task_api.started == []


@pytest.mark.bot_settings(**CREATE_ON)
async def test_edit_replied_photo_sent_as_data_uri(bot, telegram, task_api):
    photo_bytes = png_bytes(80, 60)
    photo = telegram.add_file("user-photo-1", photo_bytes)
    forum = supergroup_chat(-1004444444444, forum=True)
    replied = {**message("", chat=forum), "text": None, "photo": [photo]}

    await bot.send(
        {"message": {**message("/edit make it blue --n 2", chat=forum, thread_id=5),
                     "reply_to_message": replied}}
    )

    [payload] = task_api.started
    assert payload["action"] == "edit"
    assert payload["prompt"] == "make it blue"
    assert payload["count"] == 2
    [uri] = payload["image_urls"]
    header, data = decode_data_uri(uri)
    assert header == "data:image/png;base64"
    assert data == photo_bytes
    assert telegram.file_downloads == ["user-photo-1"]
    [reply] = telegram.sent("sendMessage")
    assert reply.thread_id == 5
    assert parse_html(reply.text).startswith("🎨 Editing: task ")


@pytest.mark.bot_settings(**CREATE_ON)
async def test_edit_large_image_shrunk_under_limit(bot, telegram, task_api):
    large = noise_png_bytes(2600, 1600)
    assert len(large) > 10_000_000
    document = {"file_id": "big-1", "file_unique_id": "u-big-1", "file_name": "big.png",
                "mime_type": "image/png", "file_size": len(large)}
    telegram.files["big-1"] = large
    replied = {**message(""), "text": None, "document": document}

    await bot.send({"message": {**message("/edit sharpen it"), "reply_to_message": replied}})

    [payload] = task_api.started
    [uri] = payload["image_urls"]
    header, data = decode_data_uri(uri)
    assert len(uri) <= 10_000_000
    assert header == "data:image/jpeg;base64"
    assert Image.open(io.BytesIO(data)).format == "JPEG"


@pytest.mark.bot_settings(**CREATE_ON)
async def test_edit_with_urls(bot, telegram, task_api):
    await bot.command("/edit https://cdn.example/a.png https://cdn.example/b.png merge them --ar 1:1")

    [payload] = task_api.started
    assert payload["image_urls"] == ["https://cdn.example/a.png", "https://cdn.example/b.png"]
    assert payload["prompt"] == "merge them"
    assert payload["aspect_ratio"] == "1:1"


@pytest.mark.bot_settings(**CREATE_ON)
async def test_edit_without_image_explained(bot, telegram, task_api):
    await bot.command("/edit make it blue")

    assert texts_to(telegram) == [
        "⚠️ /edit needs an image: reply with /edit to a photo, or put image URLs after /edit."
    ]
    assert task_api.calls == []


@pytest.mark.bot_settings(**CREATE_ON)
async def test_edit_reply_to_non_image_file(bot, telegram, task_api):
    telegram.files["doc-1"] = b"%PDF-1.4 not an image"
    document = {"file_id": "doc-1", "file_unique_id": "u-doc-1", "mime_type": "image/png"}
    replied = {**message(""), "text": None, "document": document}

    await bot.send({"message": {**message("/edit fix it"), "reply_to_message": replied}})

    assert texts_to(telegram) == [
        "⚠️ The image could not be used: it is not an image file. Nothing was created."
    ]
    assert task_api.started == []
    assert await images_used(bot) == 0


@pytest.mark.bot_settings(**CREATE_ON)
async def test_help_lists_create_commands(bot, telegram):
    await bot.command("/help")

    text = texts_to(telegram)[0]
    assert "/imagine a lighthouse at dusk --ar 16:9 --n 2" in text
    assert "/edit make the sky purple" in text


@pytest.mark.bot_settings(**CREATE_ON)
async def test_proxy_413_page_explained(bot, telegram, task_api):
    task_api.script(
        ScriptedResponse(status=413, body=b"<html>413 Request Entity Too Large</html>",
                         content_type="text/html", action="generate")
    )

    await bot.command("/imagine a cat")

    assert "takes images of up to 10 MB" in texts_to(telegram)[0]
    assert await images_used(bot) == 0


async def test_unreachable_images_api_refunded(telegram, task_api, tmp_path):
    unreachable = f"http://127.0.0.1:{closed_port()}"

    async with started_bot(
        telegram, task_api, acedata_api_base_url=unreachable, database_path=tmp_path / "db",
        **CREATE_ON,
    ) as bot:
        await bot.command("/imagine a cat --n 2")
        used = await images_used(bot)

    assert texts_to(telegram) == [
        "⚠️ The bot could not reach the images API. Please try again in a few minutes."
    ]
    assert used == 0
