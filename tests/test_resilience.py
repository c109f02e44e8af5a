"""Task API faults, flood limits, conflicts and shutdown, injected through the fakes."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sqlite3
import time

import pytest

from bot.poller import MAX_BACKOFF_SECONDS, Poller
from bot.storage import DatabaseInUseError, WatchStore
from tests.fakes.task_api import ScriptedResponse
from tests.fakes.telegram_html import parse_html
from tests.fakes.telegram_server import Fault
from tests.fakes.updates import ALICE, BOB, group_chat, message_update, private_chat
from tests.test_process import bot_environment, run_bot, run_until_exit
from tests.test_watch_flow import finished_task, running_task

TASK_ID = "ffffffff-0000-4000-8000-000000000001"
TRACE_ID = "trace-5a5a"


class ManualClock:
    """A monotonic clock that moves only when a test advances it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def error_response(status: int, code: str) -> ScriptedResponse:
    body = {"success": False, "error": {"code": code, "message": code}, "trace_id": TRACE_ID}
    return ScriptedResponse(status=status, body=json.dumps(body).encode())


def warnings_of(caplog, logger_name: str) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == logger_name and record.levelno >= logging.WARNING
    ]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def poller(bot, clock) -> Poller:
    """A poller of the running bot's own store, client and delivery, on a manual clock."""
    services = bot.services
    await services.poller.wait_for_cycles(0)
    return Poller(
        services.store,
        services.tasks,
        services.delivery,
        watch_timeout_seconds=86400,
        poll_interval_seconds=10,
        monotonic=clock,
    )


async def watch(bot, task_id: str, chat_id: int = ALICE) -> None:
    await bot.services.store.add_watches(
        chat_id, None, [task_id], added_by=ALICE, now=time.time(), limit=100
    )


async def test_poller_backs_off_exponentially(bot, task_api, poller, clock, caplog):
    caplog.set_level(logging.DEBUG)
    await watch(bot, TASK_ID)
    task_api.set_task(running_task(TASK_ID))
    task_api.script(*[error_response(500, "api_error")] * 6)

    await poller.run_cycle()
    calls_after_first = len(task_api.calls)
    clock.advance(4.9)
    await poller.run_cycle()
    assert len(task_api.calls) == calls_after_first
    clock.advance(5.2)
    await poller.run_cycle()
    calls_after_second = len(task_api.calls)
    clock.advance(9.9)
    await poller.run_cycle()
    assert len(task_api.calls) == calls_after_second
    clock.advance(10.2)
    await poller.run_cycle()

    assert calls_after_first == 3
    assert calls_after_second == 6
    assert len(task_api.calls) == 7
    assert not poller.paused
    failing = warnings_of(caplog, "bot.api_health")
    assert len(failing) == 2
    assert failing[0].startswith(f"Task API failing: api_error (HTTP 500, trace id {TRACE_ID})")
    assert failing[1].startswith("Task API works again after ")


async def test_watch_warns_while_token_rejected(bot, telegram, task_api, poller):
    task_api.script(error_response(401, "invalid_token"))
    await watch(bot, TASK_ID)
    await poller.run_cycle()

    await bot.command(f"/watch {TASK_ID.replace('1', '2')}", chat=group_chat(-4001))

    [reply] = [parse_html(call.text) for call in telegram.sent("sendMessage", chat_id=-4001)]
    assert reply.endswith(
        "⚠️ The task API rejects this bot's AceData API token at the moment, so watched tasks "
        "are not checked until the bot's operator fixes the token."
    )


async def test_retry_after_sets_pause(bot, task_api, poller, clock):
    await watch(bot, TASK_ID)
    response = error_response(429, "too_many_requests")
    response.headers["Retry-After"] = "120"
    task_api.script(response)

    await poller.run_cycle()
    clock.advance(100)
    await poller.run_cycle()

    assert len(task_api.calls) == 1
    assert poller.paused
    clock.advance(21)
    assert not poller.paused


async def test_token_error_told_logged_once_polling_paused(bot, telegram, task_api, poller, clock, caplog):
    caplog.set_level(logging.INFO)
    await watch(bot, TASK_ID)
    task_api.script(*[error_response(401, "invalid_token")] * 3)

    await bot.command(f"/task {TASK_ID}")
    await bot.command(f"/task {TASK_ID}", chat=private_chat(BOB), from_user=BOB)
    await poller.run_cycle()
    clock.advance(MAX_BACKOFF_SECONDS - 1)
    await poller.run_cycle()
    calls_while_paused = len(task_api.calls)

    for chat_id in (ALICE, BOB):
        [text] = [parse_html(call.text) for call in telegram.sent("sendMessage", chat_id=chat_id)]
        assert "rejected this bot's AceData API token" in text
        assert "operator" in text
    failing = warnings_of(caplog, "bot.api_health")
    assert failing == [
        f"Task API failing: invalid_token (HTTP 401, trace id {TRACE_ID}): invalid_token. "
        "Check ACEDATA_API_TOKEN; polling pauses until a call works again"
    ]
    assert calls_while_paused == 3
    assert poller.paused

    # The token works again: the next command's call ends the pause.
    task_api.set_task(finished_task(TASK_ID))
    await bot.command(f"/task {TASK_ID}", chat=private_chat(BOB), from_user=BOB)
    assert not poller.paused


async def test_refused_connection_explained_then_recovers(bot, telegram, task_api):
    task_api.script(*[ScriptedResponse(status=503, body=b"upstream down", content_type="text/plain")] * 3)
    task_api.add_sample("task-succeeded.json")
    sample_id = "4d320ead-4af4-4a55-8f3e-f2afebdf4fd0"

    await bot.command(f"/task {sample_id}")
    await bot.command(f"/task {sample_id}")

    [text] = [parse_html(call.text) for call in telegram.sent("sendMessage")]
    assert "failed on its side" in text
    assert len(telegram.sent("sendPhoto")) == 1


@pytest.mark.bot_settings(telegram_messages_per_second=300, telegram_group_messages_per_minute=200)
async def test_burst_of_500_delivered_without_429(bot, telegram, task_api):
    telegram.overall_rate_per_second = 300
    telegram.group_rate_per_minute = 200
    chats = [group_chat(-6000 - n)["id"] for n in range(25)] + [7000 + n for n in range(25)]
    task_ids = [f"ffffffff-0000-4000-8000-{n:012d}" for n in range(500)]
    for position, task_id in enumerate(task_ids):
        task_api.set_task(finished_task(task_id))
        await watch(bot, task_id, chats[position % 50])

    started = time.monotonic()
    await bot.services.poller.run_cycle()
    elapsed = time.monotonic() - started

    assert len(telegram.sent("sendPhoto")) == 500
    assert telegram.rate_limit_hits == 0
    assert bot.services.poller.stats.failed_deliveries == 0
    assert await bot.services.store.count_open() == 0
    # 500 messages at the bot's steady 270 a second take about 1.8 s; the burst starts at once.
    assert elapsed >= 1.5


async def test_retry_after_waited_out_not_dropped(bot, telegram, task_api):
    await watch(bot, TASK_ID, chat_id=-4001)
    task_api.set_task(finished_task(TASK_ID))
    telegram.add_fault(
        Fault("sendPhoto", 429, "Too Many Requests: retry after 1", {"retry_after": 1}, times=2)
    )

    await bot.services.poller.run_cycle()

    photos = telegram.sent("sendPhoto", ok=None)
    assert [call.ok for call in photos] == [False, False, True]
    assert photos[2].at - photos[0].at >= 2.0
    assert bot.services.poller.stats.failed_deliveries == 0
    assert await bot.services.store.count_open() == 0


async def test_conflict_logged_and_polling_goes_on(bot, telegram, task_api, caplog):
    caplog.set_level(logging.INFO)
    description = (
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running"
    )
    telegram.add_fault(Fault("getUpdates", 409, description))

    await telegram.wait_for(lambda fake: fake.sent("getUpdates", ok=False))
    await bot.command("/help")

    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.runner"]
    assert line.startswith(description + ". Another process is polling with this bot token")
    assert len(telegram.sent("sendMessage")) == 1


async def test_second_store_on_same_file_rejected(tmp_path):
    path = tmp_path / "bot.sqlite3"
    first = await WatchStore.open(path)
    try:
        with pytest.raises(DatabaseInUseError, match="another bot process is using the database"):
            await WatchStore.open(path)
    finally:
        await first.close()

    again = await WatchStore.open(path)
    await again.close()


async def test_second_process_refuses_to_start(tmp_path, telegram, task_api):
    environment = bot_environment(telegram.base_url, task_api.base_url, tmp_path)
    first = await run_bot(environment, tmp_path, tmp_path / "first.log")
    try:
        # deleteWebhook comes after the database is open and locked, before polling starts.
        await telegram.wait_for(lambda fake: fake.sent("deleteWebhook"), timeout=30)
        code, output = await run_until_exit(environment, tmp_path)
    finally:
        first.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            first_code = await first.wait()

    assert code == 1
    assert output.splitlines()[-1] == (
        f"nanobanana-bot: Not started: another bot process is using the database "
        f"{tmp_path / 'bot.sqlite3'} (locked through {tmp_path / 'bot.sqlite3.lock'}). Stop the "
        "other process first, or give this one another DATABASE_PATH."
    )
    assert first_code == 0


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_stop_signal_during_cycle_exits_cleanly(tmp_path, telegram, task_api, stop_signal):
    task_api.set_task(running_task(TASK_ID))
    environment = bot_environment(
        telegram.base_url, task_api.base_url, tmp_path, POLL_INTERVAL_SECONDS="0.2"
    )
    process = await run_bot(environment, tmp_path, tmp_path / "bot.log")
    try:
        await telegram.push_update(message_update(f"/watch {TASK_ID}"))
        await telegram.wait_for_calls("sendMessage", timeout=30)
        # The next poll hangs on the task API, so the stop signal comes in mid-cycle.
        task_api.script(ScriptedResponse(body=b"{}", delay=25))
        calls = len(task_api.calls)
        await task_api.wait_for(lambda api: len(api.calls) > calls, timeout=30)
        started = time.monotonic()
        process.send_signal(stop_signal)
        async with asyncio.timeout(30):
            code = await process.wait()
        stopped_after = time.monotonic() - started
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    log = (tmp_path / "bot.log").read_text()
    assert code == 0
    assert stopped_after < 9
    assert "Poll cycle still running after 5 s; cancelling it" in log
    assert "Bot stopped" in log
    with sqlite3.connect(tmp_path / "bot.sqlite3") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        open_watches = connection.execute(
            "SELECT task_id FROM watches WHERE notified_at IS NULL"
        ).fetchall()
    assert open_watches == [(TASK_ID,)]
    reopened = await WatchStore.open(tmp_path / "bot.sqlite3")
    await reopened.close()


async def test_finished_tasks_notified_in_parallel(bot, telegram, task_api):
    chats = [7100 + n for n in range(6)]
    task_ids = [f"eeeeeeee-0000-4000-8000-{n:012d}" for n in range(6)]
    for chat_id, task_id in zip(chats, task_ids, strict=True):
        task_api.set_task(finished_task(task_id))
        await watch(bot, task_id, chat_id)
    telegram.latency = 0.3

    started = time.monotonic()
    await bot.services.poller.run_cycle()
    elapsed = time.monotonic() - started

    assert {call.chat_id for call in telegram.sent("sendPhoto")} == set(chats)
    assert await bot.services.store.count_open() == 0
    # One chat after another, the 6 photos would take at least 6 × 0.3 s.
    assert elapsed < 3 * 0.3
