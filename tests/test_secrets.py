"""Neither token may show in a log line, a message to a chat, or an exception text."""

from __future__ import annotations

import asyncio
import json
import signal

from tests.fakes.task_api import ScriptedResponse
from tests.fakes.telegram_server import Fault
from tests.fakes.updates import ALICE, group_chat, message_update
from tests.harness import API_TOKEN, BOT_TOKEN
from tests.test_process import bot_environment, run_bot
from tests.test_watch_flow import finished_task, running_task

RUNNING_ID = "abababab-0000-4000-8000-000000000001"
UNKNOWN_ID = "abababab-0000-4000-8000-000000000002"


def error_body(code: str) -> bytes:
    return json.dumps({"success": False, "error": {"code": code, "message": code}}).encode()


async def test_debug_log_holds_no_token(tmp_path, telegram, task_api):
    sample_id = task_api.add_sample("task-succeeded.json")
    task_api.set_task(running_task(RUNNING_ID))
    environment = bot_environment(
        telegram.base_url, task_api.base_url, tmp_path,
        LOG_LEVEL="DEBUG", POLL_INTERVAL_SECONDS="0.2", API_RETRY_MAX_WAIT_SECONDS="0.01",
    )
    process = await run_bot(environment, tmp_path, tmp_path / "bot.log")
    group = group_chat(-4001)
    try:
        await telegram.wait_for(lambda fake: fake.sent("deleteWebhook"), timeout=30)
        steps = [
            message_update("/help"),
            message_update(f"/task {sample_id}"),
            message_update(f"/batch {sample_id} {RUNNING_ID} {UNKNOWN_ID} junk"),
            message_update(f"/watch {RUNNING_ID}", chat=group),
            message_update("/watches", chat=group),
            message_update("/nonsense"),
        ]
        for update in steps:
            await telegram.push_update(update)
        await telegram.wait_for(lambda fake: len(fake.sent("sendMessage")) >= 5, timeout=30)

        # The task API rejects the token, fails, and sends HTML; Telegram refuses a send.
        task_api.script(
            ScriptedResponse(status=401, body=error_body("invalid_token"), action="retrieve"),
            *[
                ScriptedResponse(status=500, body=b"<html>", content_type="text/html", action="retrieve")
            ] * 3,
        )
        await telegram.push_update(message_update(f"/task {UNKNOWN_ID}"))
        await telegram.push_update(message_update(f"/task {UNKNOWN_ID}"))
        telegram.add_fault(Fault("sendPhoto", 400, "Bad Request: wrong file identifier/HTTP URL specified"))
        task_api.set_task(finished_task(RUNNING_ID))
        await telegram.wait_for(lambda fake: len(fake.sent("sendMessage")) >= 7, timeout=30)
        await telegram.wait_for(lambda fake: fake.sent("sendPhoto", chat_id=group["id"], ok=None), timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            code = await process.wait()

    log = (tmp_path / "bot.log").read_text()
    secret_part = BOT_TOKEN.split(":", 1)[1]
    assert code == 0
    assert "DEBUG" in log
    assert BOT_TOKEN not in log
    assert secret_part not in log
    assert API_TOKEN not in log
    for call in telegram.calls:
        sent = json.dumps(call.params)
        assert secret_part not in sent
        assert API_TOKEN not in sent
    assert {call.chat_id for call in telegram.sent("sendMessage")} >= {ALICE, group["id"]}
