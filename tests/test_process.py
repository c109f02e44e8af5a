"""`python -m bot` as a separate process, as an operator starts it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fakes.loopback import closed_port
from tests.fakes.task_api import FakeTaskApi
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.updates import ALICE, message_update
from tests.harness import API_TOKEN, BOT_TOKEN

TASK_ID = "4d320ead-4af4-4a55-8f3e-f2afebdf4fd0"
REPO_ROOT = Path(__file__).resolve().parent.parent


def process_environment(**settings: str) -> dict[str, str]:
    """Return a small environment: no setting leaks in from the developer's shell."""
    environment = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    environment["PYTHONPATH"] = str(REPO_ROOT)
    environment.update(settings)
    return environment


async def run_bot(environment: dict[str, str], cwd: Path, stderr_path: Path) -> asyncio.subprocess.Process:
    with stderr_path.open("wb") as stderr:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot",
            cwd=cwd, env=environment, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
        )


async def run_until_exit(environment: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run the bot until it exits by itself; return its exit status and standard error."""
    stderr_path = cwd / "stderr.log"
    process = await run_bot(environment, cwd, stderr_path)
    async with asyncio.timeout(60):
        code = await process.wait()
    return code, stderr_path.read_text()


def bot_environment(telegram_url: str, task_api_url: str, cwd: Path, **settings: str) -> dict[str, str]:
    return process_environment(
        **{
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "ACEDATA_API_TOKEN": API_TOKEN,
            "TELEGRAM_API_BASE_URL": telegram_url,
            "ACEDATA_API_BASE_URL": task_api_url,
            "DATABASE_PATH": str(cwd / "bot.sqlite3"),
            **settings,
        }
    )


async def test_missing_settings_exit_2_without_traceback(tmp_path):
    code, output = await run_until_exit(process_environment(), tmp_path)

    assert code == 2
    assert output.splitlines() == [
        "nanobanana-bot: Missing setting TELEGRAM_BOT_TOKEN: set it to the bot token from "
        "@BotFather, such as 123456789:AAE..., in the environment or in the .env file.",
        "nanobanana-bot: Missing setting ACEDATA_API_TOKEN: set it to the AceData Cloud API "
        "token from https://platform.acedata.cloud, in the environment or in the .env file.",
    ]


async def test_invalid_setting_from_env_file_exit_2(tmp_path):
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={BOT_TOKEN}\nACEDATA_API_TOKEN={API_TOKEN}\nPOLL_INTERVAL_SECONDS=soon\n"
    )

    code, output = await run_until_exit(process_environment(), tmp_path)

    assert code == 2
    assert output.splitlines() == [
        "nanobanana-bot: Invalid setting POLL_INTERVAL_SECONDS='soon': expected a number of "
        "seconds between two polls of the watched tasks, greater than 0. Fix it in the "
        "environment or in the .env file."
    ]


async def test_rejected_token_exit_2(tmp_path, telegram: FakeTelegram, task_api: FakeTaskApi):
    environment = bot_environment(
        telegram.base_url, task_api.base_url, tmp_path, TELEGRAM_BOT_TOKEN="42:wrong-token"
    )

    code, output = await run_until_exit(environment, tmp_path)

    assert code == 2
    assert "Traceback" not in output
    assert output.splitlines()[-1] == (
        "nanobanana-bot: The Bot API rejected TELEGRAM_BOT_TOKEN. Copy the token again from "
        "@BotFather into the environment or the .env file."
    )
    assert "wrong-token" not in output


async def test_unreachable_bot_api_exit_1(tmp_path, task_api: FakeTaskApi):
    telegram_url = f"http://127.0.0.1:{closed_port()}"
    environment = bot_environment(telegram_url, task_api.base_url, tmp_path)

    code, output = await run_until_exit(environment, tmp_path)

    assert code == 1
    assert "Traceback" not in output
    assert output.splitlines()[-1].startswith(
        f"nanobanana-bot: Could not reach the Bot API at {telegram_url}"
    )
    assert BOT_TOKEN not in output


async def test_process_answers_task_and_stops_on_sigterm(
    tmp_path, telegram: FakeTelegram, task_api: FakeTaskApi
):
    task_api.add_sample("task-succeeded.json")
    environment = bot_environment(
        telegram.base_url, task_api.base_url, tmp_path, LOG_LEVEL="DEBUG"
    )
    stderr_path = tmp_path / "stderr.log"
    process = await run_bot(environment, tmp_path, stderr_path)
    try:
        await telegram.wait_for(lambda fake: fake.sent("deleteWebhook"), timeout=30)
        await telegram.push_update(message_update(f"/task {TASK_ID}"))
        [photo] = await telegram.wait_for_calls("sendPhoto", timeout=30)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            code = await process.wait()

    output = stderr_path.read_text()
    assert photo.chat_id == ALICE
    assert TASK_ID in photo.caption
    assert code == 0
    assert "Bot @NanoBananaTestBot started" in output
    assert "Bot stopped" in output
    assert "Traceback" not in output
    assert BOT_TOKEN not in output
    assert API_TOKEN not in output


async def test_killed_between_send_and_record_sends_once_more(
    tmp_path, telegram: FakeTelegram, task_api: FakeTaskApi
):
    from tests.fakes.telegram_server import Fault
    from tests.test_watch_flow import finished_task, running_task

    task_id = "eeeeeeee-0000-4000-8000-000000000001"
    later_id = "eeeeeeee-0000-4000-8000-000000000002"
    task_api.set_task(running_task(task_id))
    task_api.set_task(running_task(later_id))
    environment = bot_environment(
        telegram.base_url, task_api.base_url, tmp_path, POLL_INTERVAL_SECONDS="0.2"
    )

    first = await run_bot(environment, tmp_path, tmp_path / "first.log")
    try:
        await telegram.push_update(message_update(f"/watch {task_id}"))
        await telegram.wait_for_calls("sendMessage", timeout=30)
        telegram.add_fault(Fault("sendPhoto", 500, "never sent", hang=True))
        task_api.set_task(finished_task(task_id))
        await telegram.wait_for(lambda fake: fake.sent("sendPhoto", ok=None), timeout=30)
    finally:
        first.kill()
        await first.wait()

    second = await run_bot(environment, tmp_path, tmp_path / "second.log")
    try:
        await telegram.wait_for_calls("sendPhoto", timeout=30)
        await telegram.push_update(message_update(f"/watch {later_id}"))
        # Three more cycles, each asking only about the later task, show the first is closed.
        await task_api.wait_for(
            lambda api: len([c for c in api.calls_of("retrieve_batch") if c.ids == [later_id]]) >= 3,
            timeout=30,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            code = await second.wait()

    photos = telegram.sent("sendPhoto", ok=None)
    assert len(photos) == 2
    assert all(task_id in photo.caption for photo in photos)
    assert code == 0


async def test_try_tool_prints_settings_and_ends_on_eof():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.serve",
        cwd=REPO_ROOT, env=process_environment(),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(30):
        output, _ = await process.communicate(b"finish 11111111-2222-4333-8444-555555555555\n")

    text = output.decode()
    assert process.returncode == 0
    assert "TELEGRAM_API_BASE_URL=http://127.0.0.1:" in text
    assert "4d320ead-4af4-4a55-8f3e-f2afebdf4fd0  task-succeeded" in text
    assert "[fake task API] no task 11111111-2222-4333-8444-555555555555" in text
