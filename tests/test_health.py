"""The health endpoint over HTTP on 127.0.0.1, its rule, Docker's health check command, and
the summary log line."""

from __future__ import annotations

import asyncio
import logging
import sys
import time

import aiohttp
import pytest

from bot.health import MIN_STALE_POLL_SECONDS, assess_health, stale_poll_seconds
from bot.healthcheck import health_url
from bot.listening import ListenError
from bot.poll_summary import PollSummary
from bot.poller import PollStats
from tests.fakes.loopback import closed_port, taken_port
from tests.fakes.task_api import ScriptedResponse
from tests.harness import started_bot
from tests.test_process import REPO_ROOT, process_environment
from tests.test_watch_flow import running_task

TASK_ID = "eeeeeeee-0000-4000-8000-00000000000a"
NOW = 1_750_000_000.0


def assess(**overrides: object):
    values: dict[str, object] = {
        "receiving_updates": True,
        "mode": "long polling",
        "open_watches": 2,
        "started_at": NOW - 1000,
        "last_successful_poll_at": NOW - 5,
        "poll_interval_seconds": 10.0,
        "api_token_rejected": False,
        "api_failing": False,
        "last_api_error": None,
        "counters": {"poll_cycles": 7},
        "now": NOW,
    }
    values.update(overrides)
    return assess_health(**values)  # type: ignore[arg-type]


async def get_health(port: int, path: str = "/health") -> tuple[int, dict | None]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.get(f"http://127.0.0.1:{port}{path}") as response:
            if response.content_type != "application/json":
                return response.status, None
            return response.status, await response.json()


def test_recent_poll_healthy():
    report = assess()

    assert report.healthy
    assert report.body["status"] == "ok"
    assert report.body["problems"] == []
    assert report.body["seconds_since_successful_poll"] == 5.0
    assert report.body["poll_cycles"] == 7


def test_stale_poll_with_watches_unhealthy():
    report = assess(last_successful_poll_at=NOW - MIN_STALE_POLL_SECONDS - 1)

    assert not report.healthy
    assert report.body["problems"] == ["no successful poll for 121 s with 2 open watches"]


def test_stale_poll_without_watches_healthy():
    assert assess(open_watches=0, last_successful_poll_at=NOW - 10_000).healthy


def test_no_poll_yet_counts_from_start():
    assert assess(last_successful_poll_at=None, started_at=NOW - 60).healthy
    assert not assess(last_successful_poll_at=None, started_at=NOW - 600).healthy


def test_stale_limit_grows_with_interval():
    assert stale_poll_seconds(1.0) == MIN_STALE_POLL_SECONDS
    assert stale_poll_seconds(600.0) == 1800.0
    assert assess(poll_interval_seconds=600.0, last_successful_poll_at=NOW - 1700).healthy


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"receiving_updates": False}, "not receiving updates from Telegram"),
        ({"api_token_rejected": True}, "the task API rejects ACEDATA_API_TOKEN"),
    ],
)
def test_unhealthy_conditions(overrides, problem):
    report = assess(**overrides)

    assert not report.healthy
    assert report.body["problems"] == [problem]


async def test_endpoint_reports_ok(telegram, task_api, tmp_path):
    task_api.set_task(running_task(TASK_ID))
    port = closed_port()

    async with started_bot(
        telegram, task_api, database_path=tmp_path / "bot.sqlite3", health_port=port
    ) as bot:
        await bot.command(f"/task {TASK_ID}")
        await bot.services.poller.run_cycle()
        status, body = await get_health(port)

    assert status == 200
    assert body is not None
    assert body["status"] == "ok"
    assert body["updates"] == "long polling"
    assert body["receiving_updates"] is True
    assert body["open_watches"] == 1
    assert body["last_successful_poll"] is not None
    assert body["seconds_since_successful_poll"] < 60
    assert body["last_api_error"] is None
    assert body["poll_cycles"] >= 1


async def test_endpoint_503_when_polls_stale(telegram, task_api, tmp_path):
    task_api.set_task(running_task(TASK_ID))
    port = closed_port()

    # Unhealthy after 3 intervals of 10 s, or 120 s, whichever is longer.
    async with started_bot(
        telegram, task_api, database_path=tmp_path / "bot.sqlite3", health_port=port,
        poll_interval_seconds=10,
    ) as bot:
        await bot.command(f"/task {TASK_ID}")
        await bot.services.poller.run_cycle()
        bot.services.poller.stats.last_success_at = time.time() - 3600
        status, body = await get_health(port)

    assert status == 503
    assert body is not None
    assert body["status"] == "unhealthy"
    assert body["problems"][0].startswith("no successful poll for 3600 s with 1 open watches")


async def test_endpoint_reports_api_error(telegram, task_api, tmp_path):
    port = closed_port()
    invalid_token = b'{"success": false, "error": {"code": "invalid_token", "message": "bad"}}'
    task_api.script(ScriptedResponse(status=401, body=invalid_token, action="retrieve"))

    async with started_bot(
        telegram, task_api, database_path=tmp_path / "bot.sqlite3", health_port=port
    ) as bot:
        await bot.command(f"/task {TASK_ID}")
        status, body = await get_health(port)

    assert status == 503
    assert body is not None
    assert body["problems"] == ["the task API rejects ACEDATA_API_TOKEN"]
    assert body["api_failing"] is True
    assert "invalid_token" in body["last_api_error"]


async def test_endpoint_serves_only_health_path(telegram, task_api, tmp_path):
    port = closed_port()

    async with started_bot(
        telegram, task_api, database_path=tmp_path / "bot.sqlite3", health_port=port
    ):
        status, _ = await get_health(port, "/")

    assert status == 404


async def test_endpoint_off_by_default(bot):
    assert bot.settings.health_port is None
    assert "health_server" not in bot.application.bot_data


async def test_endpoint_port_in_use(telegram, task_api, tmp_path):
    with taken_port() as port, pytest.raises(ListenError) as raised:
        async with started_bot(
            telegram, task_api, database_path=tmp_path / "bot.sqlite3", health_port=port
        ):
            pass

    assert raised.value.setting == "HEALTH_PORT"
    assert raised.value.port == port


async def run_healthcheck(**environment: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.healthcheck",
        cwd=REPO_ROOT, env=process_environment(**environment),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(30):
        output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode().strip()


async def test_healthcheck_command(telegram, task_api, tmp_path):
    port = closed_port()

    async with started_bot(
        telegram, task_api, database_path=tmp_path / "bot.sqlite3", health_port=port,
        poll_interval_seconds=10,
    ) as bot:
        await bot.services.poller.run_cycle()
        # A wildcard HEALTH_LISTEN, as a container may set, is reached through loopback.
        healthy = await run_healthcheck(HEALTH_PORT=str(port), HEALTH_LISTEN="0.0.0.0")
        bot.services.poller.stats.last_success_at = time.time() - 3600
        await bot.services.store.add_watches(
            1, None, [TASK_ID], added_by=1, now=time.time(), limit=10
        )
        unhealthy = await run_healthcheck(HEALTH_PORT=str(port))

    assert healthy == (0, "ok: 0 open watches")
    assert unhealthy[0] == 1
    assert unhealthy[1].startswith(f"unhealthy: HTTP 503 from http://127.0.0.1:{port}/health: ")
    assert "no successful poll" in unhealthy[1]


async def test_healthcheck_without_endpoint(tmp_path):
    port = closed_port()

    off = await run_healthcheck()
    refused = await run_healthcheck(HEALTH_PORT=str(port))

    assert off == (1, "unhealthy: HEALTH_PORT is not set, so the health endpoint is off")
    assert refused[0] == 1
    assert refused[1].startswith(f"unhealthy: no answer from http://127.0.0.1:{port}/health")


def test_healthcheck_url_of_wildcards():
    assert health_url("0.0.0.0", "8081") == "http://127.0.0.1:8081/health"
    assert health_url("::", "8081") == "http://[::1]:8081/health"
    assert health_url("10.1.2.3", "80") == "http://10.1.2.3:80/health"


def test_summary_due_every_n_cycles(caplog):
    summary = PollSummary(every_cycles=3)
    stats = PollStats(cycles=2, finished=1, delivered=1)
    caplog.set_level(logging.INFO, logger="bot.poll_summary")

    assert not summary.due(stats)
    stats.cycles = 3
    assert summary.due(stats)
    summary.log(stats, open_watches=4)
    stats.cycles, stats.finished, stats.delivered, stats.failed_deliveries = 6, 3, 2, 1
    assert summary.due(stats)
    summary.log(stats, open_watches=2)

    assert [record.getMessage() for record in caplog.records] == [
        "Poll summary: 4 watched, 1 finished, 1 delivered, 0 failed in the last 3 cycles",
        "Poll summary: 2 watched, 2 finished, 1 delivered, 1 failed in the last 3 cycles",
    ]


async def test_summary_logged_by_poll_job(telegram, task_api, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="bot.poll_summary")
    task_api.set_task(running_task(TASK_ID))

    async with started_bot(
        telegram, task_api, database_path=tmp_path / "bot.sqlite3",
        poll_interval_seconds=0.05, log_summary_every_cycles=2,
    ) as bot:
        await bot.command(f"/watch {TASK_ID}")
        await bot.services.poller.wait_for_cycles(6)

    lines = [r.getMessage() for r in caplog.records if r.name == "bot.poll_summary"]
    assert lines
    assert lines[-1].startswith("Poll summary: 1 watched, 0 finished, 0 delivered, 0 failed")
