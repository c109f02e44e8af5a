"""The images API's callback: the result arrives before the next poll, and once either way."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from bot.callbacks import callback_secret
from tests.fakes.images import png_bytes
from tests.fakes.loopback import closed_port
from tests.fakes.updates import group_chat
from tests.harness import BOT_TOKEN, started_bot

TEAM = group_chat(-4500)


@pytest.fixture
async def creating_bot(telegram, task_api, tmp_path):
    port = closed_port()
    async with started_bot(
        telegram,
        task_api,
        database_path=tmp_path / "bot.sqlite3",
        allow_create=True,
        create_callback_url=f"http://127.0.0.1:{port}/acedata",
        create_callback_port=port,
    ) as bot:
        yield bot


async def post_json(url: str, body: object) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=json.dumps(body).encode()) as response:
            return response.status


async def start_and_finish(bot, task_api) -> tuple[str, dict]:
    """Start a generation with /imagine and finish it in the fake API; return its callback."""
    image_url = task_api.add_image("img/made.png", png_bytes())
    await bot.command("/imagine a fox in the snow", chat=TEAM)
    [payload] = task_api.started
    task_id = json.loads(next(iter(task_api.tasks.values())))["id"]
    body = task_api.finish_task(task_id, [image_url])
    return payload["callback_url"], body


async def test_callback_url_has_secret_path(creating_bot, task_api):
    await creating_bot.command("/imagine a fox", chat=TEAM)

    [payload] = task_api.started
    port = creating_bot.services.callbacks.port
    assert payload["callback_url"] == f"http://127.0.0.1:{port}/acedata/{callback_secret(BOT_TOKEN)}"
    assert callback_secret(BOT_TOKEN) not in BOT_TOKEN


async def test_callback_before_poll_one_notification(creating_bot, telegram, task_api):
    callback_url, body = await start_and_finish(creating_bot, task_api)

    status = await post_json(callback_url, body)
    [photo] = await telegram.wait_for_calls("sendPhoto", chat_id=TEAM["id"])
    await creating_bot.services.poller.run_cycle()
    await creating_bot.services.poller.run_cycle()

    assert status == 200
    assert "a fox in the snow" in photo.caption
    assert len(telegram.sent("sendPhoto", chat_id=TEAM["id"])) == 1


async def test_callback_after_poll_one_notification(creating_bot, telegram, task_api):
    callback_url, body = await start_and_finish(creating_bot, task_api)

    await creating_bot.services.poller.run_cycle()
    status = await post_json(callback_url, body)
    await creating_bot.services.callbacks.wait_idle()

    assert status == 200
    assert len(telegram.sent("sendPhoto", chat_id=TEAM["id"])) == 1


async def test_callback_and_poll_together_one_notification(creating_bot, telegram, task_api):
    callback_url, body = await start_and_finish(creating_bot, task_api)

    status, _ = await asyncio.gather(
        post_json(callback_url, body), creating_bot.services.poller.run_cycle()
    )
    await creating_bot.services.callbacks.wait_idle()
    await creating_bot.services.poller.run_cycle()

    assert status == 200
    assert len(telegram.sent("sendPhoto", chat_id=TEAM["id"])) == 1


async def test_early_callback_leaves_task_to_poll(creating_bot, telegram, task_api):
    await creating_bot.command("/imagine a fox", chat=TEAM)
    [payload] = task_api.started
    task_id = json.loads(next(iter(task_api.tasks.values())))["id"]

    status = await post_json(payload["callback_url"], {"success": True, "task_id": task_id})
    await creating_bot.services.callbacks.wait_idle()

    assert status == 200
    assert telegram.sent("sendPhoto", "sendMediaGroup") == []
    assert await creating_bot.services.store.count_open() == 1


@pytest.mark.parametrize(
    ("path_end", "body", "status"),
    [
        ("wrong-secret", {"task_id": "11111111-2222-4333-8444-555555555555"}, 404),
        (None, "not an object", 400),
        (None, {"task_id": "not-a-uuid"}, 400),
        (None, {"success": True}, 400),
    ],
)
async def test_bad_callback_rejected(creating_bot, telegram, task_api, path_end, body, status):
    port = creating_bot.services.callbacks.port
    secret = path_end or callback_secret(BOT_TOKEN)

    answer = await post_json(f"http://127.0.0.1:{port}/acedata/{secret}", body)
    await creating_bot.services.callbacks.wait_idle()

    assert answer == status
    assert task_api.calls == []


async def test_callback_off_without_url(bot, telegram, task_api):
    assert bot.services.callbacks is None
    assert bot.services.callback_url is None
