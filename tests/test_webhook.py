"""Webhook mode: setWebhook at start, updates posted to the listener on 127.0.0.1, and the
secret token header that every request must carry."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.listening import ListenError
from bot.webhook import WebhookRejectedError
from tests.fakes.loopback import closed_port, taken_port
from tests.fakes.updates import ALICE, message_update
from tests.harness import API_TOKEN, BOT_TOKEN, BotHarness, started_bot
from tests.test_process import bot_environment, run_bot, run_until_exit

TASK_ID = "4d320ead-4af4-4a55-8f3e-f2afebdf4fd0"
SECRET = "webhook-secret_0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_settings(port: int, **overrides: object) -> dict[str, object]:
    return {
        "webhook_url": f"http://127.0.0.1:{port}/telegram",
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
        "webhook_secret_token": SECRET,
        **overrides,
    }


def webhook_environment(
    telegram, task_api, cwd: Path, port: int, **settings: str
) -> dict[str, str]:
    """Return the environment of a `python -m bot` process in webhook mode, without a secret."""
    return bot_environment(
        telegram.base_url, task_api.base_url, cwd,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        WEBHOOK_PORT=str(port),
        **settings,
    )


@contextlib.asynccontextmanager
async def webhook_bot(telegram, task_api, tmp_path: Path) -> AsyncIterator[tuple[BotHarness, int]]:
    """Run a bot in webhook mode, with the fake Bot API in local mode; yield it and its port."""
    telegram.local_mode = True
    port = closed_port()
    async with started_bot(
        telegram, task_api, database_path=tmp_path / "bot.sqlite3", **webhook_settings(port)
    ) as bot:
        yield bot, port


async def post_update(
    port: int, update: dict, headers: dict[str, str] | None = None, path: str = "/telegram"
) -> int:
    """Post an update to the bot's listener as Telegram does; return the HTTP status."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.post(
            f"http://127.0.0.1:{port}{path}", json=update, headers=headers or {}
        ) as response:
            return response.status


async def test_webhook_registered_with_url_and_secret(telegram, task_api, tmp_path):
    async with webhook_bot(telegram, task_api, tmp_path) as (bot, port):
        set_calls = telegram.sent("setWebhook")

    assert set_calls
    assert {call.params["url"] for call in set_calls} == {f"http://127.0.0.1:{port}/telegram"}
    assert {call.params["secret_token"] for call in set_calls} == {SECRET}
    assert "message" in set_calls[-1].params["allowed_updates"]
    assert "callback_query" in set_calls[-1].params["allowed_updates"]
    assert telegram.sent("getUpdates", ok=None) == []


async def test_update_with_secret_answered(telegram, task_api, tmp_path):
    task_api.add_sample("task-succeeded.json")

    async with webhook_bot(telegram, task_api, tmp_path) as (bot, port):
        update = {"update_id": 501, **message_update(f"/task {TASK_ID}")}
        status = await post_update(port, update, {SECRET_HEADER: SECRET})
        async with asyncio.timeout(10):
            await bot.processor.handled[501].wait()

    assert status == 200
    [photo] = telegram.sent("sendPhoto")
    assert photo.chat_id == ALICE
    assert TASK_ID in photo.caption


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: "wrong-secret"}, {SECRET_HEADER: SECRET.upper()}],
    ids=["no-header", "wrong-token", "other-case"],
)
async def test_update_without_right_secret_rejected(telegram, task_api, tmp_path, headers):
    task_api.add_sample("task-succeeded.json")

    async with webhook_bot(telegram, task_api, tmp_path) as (bot, port):
        status = await post_update(
            port, {"update_id": 601, **message_update(f"/task {TASK_ID}")}, headers
        )
        # A later update with the secret is handled, so the first one had its chance.
        await post_update(
            port, {"update_id": 602, **message_update("/help")}, {SECRET_HEADER: SECRET}
        )
        async with asyncio.timeout(10):
            await bot.processor.handled[602].wait()

    assert status == 403
    assert 601 not in bot.processor.handled
    assert telegram.sent("sendPhoto") == []
    assert task_api.calls == []
    assert len(telegram.sent("sendMessage")) == 1


async def test_other_path_not_served(telegram, task_api, tmp_path):
    async with webhook_bot(telegram, task_api, tmp_path) as (bot, port):
        status = await post_update(
            port, message_update("/help"), {SECRET_HEADER: SECRET}, path="/other"
        )

    assert status == 404
    assert telegram.sent("sendMessage") == []


async def test_telegram_delivers_to_webhook(telegram, task_api, tmp_path):
    async with webhook_bot(telegram, task_api, tmp_path) as (bot, port):
        await bot.command("/help")

    [delivery] = telegram.webhook_deliveries
    assert delivery.status == 200
    [reply] = telegram.sent("sendMessage")
    assert reply.chat_id == ALICE


async def test_http_url_rejected_by_telegram(telegram, task_api, tmp_path):
    # Telegram's own server, unlike a self-hosted one in local mode, wants HTTPS.
    port = closed_port()

    with pytest.raises(WebhookRejectedError) as raised:
        async with started_bot(
            telegram, task_api, database_path=tmp_path / "bot.sqlite3", **webhook_settings(port)
        ):
            pass

    # python-telegram-bot drops "Bad Request: " and changes the case of Telegram's description.
    assert raised.value.reason == "Bad webhook: an https url must be provided for webhook"
    assert telegram.webhook is None


async def test_port_in_use_raises_listen_error(telegram, task_api, tmp_path):
    telegram.local_mode = True

    with taken_port() as port, pytest.raises(ListenError) as raised:
        async with started_bot(
            telegram, task_api, database_path=tmp_path / "bot.sqlite3", **webhook_settings(port)
        ):
            pass

    assert raised.value.setting == "WEBHOOK_PORT"
    assert raised.value.port == port


async def test_generated_secret_not_logged(tmp_path, telegram, task_api):
    telegram.local_mode = True
    port = closed_port()
    environment = webhook_environment(telegram, task_api, tmp_path, port, LOG_LEVEL="DEBUG")
    log_path = tmp_path / "bot.log"
    process = await run_bot(environment, tmp_path, log_path)
    try:
        await telegram.wait_for(lambda fake: fake.webhook, timeout=30)
        await telegram.wait_for(lambda fake: "Bot @" in log_path.read_text(), timeout=30)
        # The listener starts after setWebhook; wait until it takes connections.
        await _wait_for_port(port)
        secret = telegram.webhook["secret_token"]
        await telegram.push_update(message_update("/help"))
        await telegram.wait_for_calls("sendMessage", timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            code = await process.wait()

    log = log_path.read_text()
    assert code == 0
    assert len(secret) == 43
    assert "a random secret token was generated for this run" in log
    assert f"Receiving updates by webhook at http://127.0.0.1:{port}/hook" in log
    assert secret not in log
    assert BOT_TOKEN not in log
    assert API_TOKEN not in log
    assert [delivery.status for delivery in telegram.webhook_deliveries] == [200]


async def test_process_http_url_exit_2(tmp_path, telegram, task_api):
    port = closed_port()
    environment = webhook_environment(telegram, task_api, tmp_path, port)

    code, output = await run_until_exit(environment, tmp_path)

    assert code == 2
    assert "Traceback" not in output
    assert output.splitlines()[-1] == (
        f"nanobanana-bot: Telegram rejected the webhook URL http://127.0.0.1:{port}/hook: Bad "
        "webhook: an https url must be provided for webhook. Check WEBHOOK_URL: Telegram's "
        "servers take only HTTPS URLs on port 443, 80, 88 or 8443. Leave it empty for long "
        "polling."
    )


async def test_process_port_in_use_exit_1(tmp_path, telegram, task_api):
    telegram.local_mode = True
    with taken_port() as port:
        environment = webhook_environment(telegram, task_api, tmp_path, port)
        code, output = await run_until_exit(environment, tmp_path)

    assert code == 1
    assert "Traceback" not in output
    assert output.splitlines()[-1].startswith(
        f"nanobanana-bot: Not started: Could not listen on 127.0.0.1 port {port} for the "
        "webhook: "
    )
    assert output.splitlines()[-1].endswith(
        "Stop the program that uses the port, or set WEBHOOK_PORT to another port."
    )


async def _wait_for_port(port: int) -> None:
    async with asyncio.timeout(30):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return

