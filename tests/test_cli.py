"""The command line as an operator runs it: `python -m bot` with --help, --version, `check`
and `task`, each as a separate process against the fake servers."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from tests.fakes.loopback import closed_port
from tests.fakes.task_api import ScriptedResponse
from tests.harness import API_TOKEN, BOT_TOKEN
from tests.test_process import bot_environment, process_environment
from tests.test_watch_flow import failed_task, running_task

SAMPLE_ID = "4d320ead-4af4-4a55-8f3e-f2afebdf4fd0"
SAMPLE_IMAGE_URL = (
    "https://platform.cdn.acedata.cloud/nanobanana/7e7bd000-698a-4e14-bb2d-3db61237e4bb.png"
)
RUNNING_ID = "dddddddd-0000-4000-8000-000000000001"


async def run_command(
    arguments: list[str], environment: dict[str, str], cwd: Path
) -> tuple[int, str, str]:
    """Run `python -m bot ARGUMENTS` to its end; return its exit status, output and errors."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *arguments,
        cwd=cwd, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def task_environment(task_api, cwd: Path, **settings: str) -> dict[str, str]:
    """Return the environment of `task`, which never calls the Bot API."""
    unused_bot_api = f"http://127.0.0.1:{closed_port()}"
    return bot_environment(unused_bot_api, task_api.base_url, cwd, **settings)


async def test_version(tmp_path):
    code, output, _ = await run_command(["--version"], process_environment(), tmp_path)

    assert code == 0
    assert output.strip() == "nanobanana-bot 0.1.0"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ([], "usage: nanobanana-bot [-h] [--version] COMMAND ..."),
        (["run"], "usage: nanobanana-bot run [-h]"),
        (["check"], "usage: nanobanana-bot check [-h]"),
        (["task"], "usage: nanobanana-bot task [-h] TASK_ID"),
    ],
    ids=["main", "run", "check", "task"],
)
async def test_help_of_each_command(tmp_path, arguments, expected):
    code, output, _ = await run_command([*arguments, "--help"], process_environment(), tmp_path)

    assert code == 0
    assert output.splitlines()[0] == expected
    assert ".env.example lists them all." in output


async def test_unknown_command_exit_2(tmp_path):
    code, _, errors = await run_command(["frobnicate"], process_environment(), tmp_path)

    assert code == 2
    assert "invalid choice: 'frobnicate'" in errors


async def test_check_passes(tmp_path, telegram, task_api):
    environment = bot_environment(telegram.base_url, task_api.base_url, tmp_path)

    code, output, errors = await run_command(["check"], environment, tmp_path)

    assert code == 0
    assert output.splitlines() == [
        "PASS settings: valid; updates by long polling",
        f"PASS Bot API: @NanoBananaTestBot (id 123456789) at {telegram.base_url}",
        f"PASS task API: {task_api.base_url} accepted ACEDATA_API_TOKEN",
    ]
    assert errors == ""
    [retrieve] = task_api.calls_of("retrieve")
    assert retrieve.ids == ["00000000-0000-4000-8000-000000000000"]
    assert telegram.sent("getMe")


async def test_check_names_rejected_tokens(tmp_path, telegram, task_api):
    environment = bot_environment(
        telegram.base_url, task_api.base_url, tmp_path,
        TELEGRAM_BOT_TOKEN="42:wrong-token", ACEDATA_API_TOKEN="wrong-api-token",
    )

    code, output, errors = await run_command(["check"], environment, tmp_path)

    lines = output.splitlines()
    assert code == 1
    assert lines[0] == "PASS settings: valid; updates by long polling"
    assert lines[1] == (
        f"FAIL Bot API: {telegram.base_url} rejected TELEGRAM_BOT_TOKEN. Fix: copy the token "
        "again from @BotFather into the environment or the .env file"
    )
    assert lines[2].startswith(f"FAIL task API: {task_api.base_url} rejected ACEDATA_API_TOKEN")
    assert lines[2].endswith(
        "Fix: copy your API token from https://platform.acedata.cloud into ACEDATA_API_TOKEN"
    )
    assert "wrong-token" not in output + errors
    assert "wrong-api-token" not in output + errors


async def test_check_unreachable_apis(tmp_path):
    telegram_url = f"http://127.0.0.1:{closed_port()}"
    task_api_url = f"http://127.0.0.1:{closed_port()}"
    environment = bot_environment(telegram_url, task_api_url, tmp_path)

    code, output, _ = await run_command(["check"], environment, tmp_path)

    lines = output.splitlines()
    assert code == 1
    assert lines[1].startswith(f"FAIL Bot API: could not reach {telegram_url}: ")
    assert lines[1].endswith("Fix: check TELEGRAM_API_BASE_URL and the network")
    assert lines[2].startswith(f"FAIL task API: could not reach {task_api_url}: ")
    assert lines[2].endswith("Fix: check ACEDATA_API_BASE_URL and the network")
    assert BOT_TOKEN not in output


async def test_check_task_api_server_error(tmp_path, telegram, task_api):
    task_api.script(ScriptedResponse(status=500, body=b'{"error": {"message": "down"}}'))
    environment = bot_environment(telegram.base_url, task_api.base_url, tmp_path)

    code, output, _ = await run_command(["check"], environment, tmp_path)

    assert code == 1
    assert output.splitlines()[2].startswith(
        f"FAIL task API: a task lookup at {task_api.base_url} failed"
    )
    # One try only: the check reports at once instead of retrying.
    assert len(task_api.calls) == 1


async def test_check_invalid_settings_exit_2(tmp_path):
    environment = process_environment(
        TELEGRAM_BOT_TOKEN=BOT_TOKEN, ACEDATA_API_TOKEN=API_TOKEN, WEBHOOK_PORT="http"
    )

    code, output, _ = await run_command(["check"], environment, tmp_path)

    assert code == 2
    assert output.splitlines() == [
        "FAIL settings: Invalid setting WEBHOOK_PORT='http': expected the TCP port of the "
        "webhook listener, from 1 to 65535. Fix it in the environment or in the .env file.",
        "SKIP Bot API: needs valid settings",
        "SKIP task API: needs valid settings",
    ]


async def test_task_prints_state_and_urls(tmp_path, task_api):
    task_api.add_sample("task-succeeded.json")
    environment = task_environment(task_api, tmp_path)

    code, output, errors = await run_command(["task", SAMPLE_ID.upper()], environment, tmp_path)

    lines = output.splitlines()
    assert code == 0
    assert errors == ""
    assert lines[0] == f"Task:     {SAMPLE_ID}"
    assert lines[1] == "State:    succeeded, 1 image"
    assert any(line.startswith("Prompt:   ") for line in lines)
    assert lines[-1] == f"Image 1:  {SAMPLE_IMAGE_URL}"


async def test_task_running_and_failed(tmp_path, task_api):
    failed_id = "dddddddd-0000-4000-8000-000000000002"
    task_api.set_task(running_task(RUNNING_ID))
    task_api.set_task(failed_task(failed_id, "content rejected\x1b[31m"))
    environment = task_environment(task_api, tmp_path)

    running_code, running_output, _ = await run_command(["task", RUNNING_ID], environment, tmp_path)
    failed_code, failed_output, _ = await run_command(["task", failed_id], environment, tmp_path)

    assert running_code == 0
    assert running_output.splitlines()[1] == "State:    running, started 30 s ago"
    assert failed_code == 0
    assert failed_output.splitlines()[1] == "State:    failed"
    # The escape character the API returned is not passed to the terminal.
    assert failed_output.splitlines()[2] == "Error:    content rejected\ufffd[31m (forbidden)"


async def test_task_not_found_exit_1(tmp_path, task_api):
    environment = task_environment(task_api, tmp_path)

    code, output, errors = await run_command(["task", RUNNING_ID], environment, tmp_path)

    assert code == 1
    assert output == ""
    assert errors.strip() == (
        f"nanobanana-bot: Task {RUNNING_ID} was not found. The task API only returns tasks "
        "created with the account of ACEDATA_API_TOKEN."
    )


async def test_task_invalid_id_exit_2(tmp_path, task_api):
    environment = task_environment(task_api, tmp_path)

    code, _, errors = await run_command(["task", "not-a-task"], environment, tmp_path)

    assert code == 2
    assert errors.strip().startswith("nanobanana-bot: 'not-a-task' is not a valid task id.")
    assert task_api.calls == []


async def test_task_api_failure_exit_1(tmp_path, task_api):
    environment = task_environment(task_api, tmp_path, ACEDATA_API_TOKEN="wrong-api-token")

    code, _, errors = await run_command(["task", RUNNING_ID], environment, tmp_path)

    assert code == 1
    assert errors.strip().startswith(f"nanobanana-bot: Looking up task {RUNNING_ID} failed: ")
    assert errors.strip().endswith(
        "Run `nanobanana-bot check` to test the settings and the connection."
    )
    assert "wrong-api-token" not in errors
