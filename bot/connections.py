"""Clients of the two APIs, built from the settings: the task API's client and the Bot API's
URLs."""

from __future__ import annotations

import httpx

from bot.acedata_http import AceDataHttp
from bot.client import TaskClient
from bot.settings import Settings


def bot_api_urls(settings: Settings) -> tuple[str, str]:
    """Return the base URL of Bot API methods and the base URL of file downloads.

    python-telegram-bot appends the token to each, as in `{root}/bot<token>/getMe`.
    """
    root = settings.telegram_api_base_url
    return f"{root}/bot", f"{root}/file/bot"


def new_acedata_api(
    settings: Settings, *, max_attempts: int | None = None
) -> tuple[httpx.AsyncClient, AceDataHttp]:
    """Return the AceData API's caller and the httpx client it uses, which the caller closes.

    `max_attempts` replaces API_MAX_ATTEMPTS, such as 1 for a check that reports at once.
    """
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.api_timeout_seconds, connect=min(10.0, settings.api_timeout_seconds)
        ),
        follow_redirects=False,
    )
    api = AceDataHttp(
        http,
        settings.acedata_api_base_url,
        settings.acedata_api_token.get_secret_value(),
        max_attempts=max_attempts or settings.api_max_attempts,
        max_retry_wait=settings.api_retry_max_wait_seconds,
    )
    return http, api


def new_task_client(
    settings: Settings, *, max_attempts: int | None = None
) -> tuple[httpx.AsyncClient, TaskClient]:
    """Return a TaskClient and the httpx client it uses, which the caller must close."""
    http, api = new_acedata_api(settings, max_attempts=max_attempts)
    tasks = TaskClient(
        api, chunk_size=settings.api_chunk_size, concurrent_calls=settings.api_concurrent_calls
    )
    return http, tasks
