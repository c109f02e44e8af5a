"""The `check` command: are the settings valid, and do the Bot API and the task API accept
the tokens? One line per check, each failure with its fix."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.request import HTTPXRequest

from bot.api_errors import (
    ApiConnectionError,
    ApiNotImplementedError,
    ApiTimeoutError,
    InvalidTokenError,
    TaskApiError,
)
from bot.connections import bot_api_urls, new_task_client
from bot.exit_status import EXIT_FAILURE, EXIT_USAGE
from bot.settings import Settings

# A well-formed task id that no task has, so the task API responds with "not found".
UNKNOWN_TASK_ID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check: passed, failed, or skipped when an earlier check failed."""

    name: str
    outcome: str
    detail: str

    def line(self) -> str:
        return f"{self.outcome} {self.name}: {self.detail}"


def passed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "PASS", detail)


def failed(name: str, problem: str, fix: str) -> CheckResult:
    return CheckResult(name, "FAIL", f"{problem}. Fix: {fix}")


def report_invalid_settings(lines: Sequence[str]) -> int:
    """Print the failed settings check, with one line per bad variable, and skip the rest."""
    for line in lines:
        print(f"FAIL settings: {line}")
    print("SKIP Bot API: needs valid settings")
    print("SKIP task API: needs valid settings")
    return EXIT_USAGE


def run_check(settings: Settings) -> int:
    """Print a line for the settings, the Bot API and the task API; return the exit status."""
    mode = f"webhook at {settings.webhook_url}" if settings.webhook_url else "long polling"
    results = [passed("settings", f"valid; updates by {mode}")]
    results.extend(asyncio.run(_check_services(settings)))
    for result in results:
        print(result.line())
    return 0 if all(result.outcome == "PASS" for result in results) else EXIT_FAILURE


async def _check_services(settings: Settings) -> list[CheckResult]:
    return list(await asyncio.gather(check_bot_api(settings), check_task_api(settings)))


async def check_bot_api(settings: Settings) -> CheckResult:
    """Call getMe with TELEGRAM_BOT_TOKEN at TELEGRAM_API_BASE_URL."""
    name = "Bot API"
    root = settings.telegram_api_base_url
    base_url, base_file_url = bot_api_urls(settings)
    timeout = settings.telegram_timeout_seconds
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=base_url,
        base_file_url=base_file_url,
        request=HTTPXRequest(read_timeout=timeout, write_timeout=timeout),
    )
    try:
        # Initializing the bot calls getMe.
        async with bot:
            user = bot.bot
    except InvalidToken:
        return failed(
            name,
            f"{root} rejected TELEGRAM_BOT_TOKEN",
            "copy the token again from @BotFather into the environment or the .env file",
        )
    except NetworkError as error:
        return failed(
            name,
            f"could not reach {root}: {error}",
            "check TELEGRAM_API_BASE_URL and the network",
        )
    except TelegramError as error:
        return failed(name, f"getMe failed at {root}: {error}", "check TELEGRAM_API_BASE_URL")
    return passed(name, f"@{user.username} (id {user.id}) at {root}")


async def check_task_api(settings: Settings) -> CheckResult:
    """Retrieve a well-formed unknown task id once with ACEDATA_API_TOKEN, without retries.

    Any response that is not an error, "not found" included, shows that the API is reachable
    and accepts the token.
    """
    name = "task API"
    root = settings.acedata_api_base_url
    http, tasks = new_task_client(settings, max_attempts=1)
    try:
        await tasks.retrieve(UNKNOWN_TASK_ID)
    except InvalidTokenError as error:
        return failed(
            name,
            f"{root} rejected ACEDATA_API_TOKEN ({error})",
            "copy your API token from https://platform.acedata.cloud into ACEDATA_API_TOKEN",
        )
    except (ApiConnectionError, ApiTimeoutError) as error:
        return failed(
            name,
            f"could not reach {root}: {error}",
            "check ACEDATA_API_BASE_URL and the network",
        )
    except ApiNotImplementedError as error:
        return failed(
            name,
            f"{root} does not offer task lookups to this account ({error})",
            "check the account of ACEDATA_API_TOKEN at https://platform.acedata.cloud",
        )
    except TaskApiError as error:
        return failed(
            name,
            f"a task lookup at {root} failed: {error}",
            "check ACEDATA_API_BASE_URL, or try again later when the API reports a server error",
        )
    finally:
        await http.aclose()
    return passed(name, f"{root} accepted ACEDATA_API_TOKEN")
