"""Settings read from the environment and an optional `.env` file."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The shape of a token issued by @BotFather: the bot's numeric id, a colon, then the secret part.
TELEGRAM_TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")

# The characters Telegram accepts in a webhook's secret token (setWebhook, Bot API 6.1 and later).
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

# The characters a webhook URL's path may contain. python-telegram-bot matches request paths
# with a regular expression built from this path, so characters with a meaning there are kept out.
_WEBHOOK_PATH_PATTERN = re.compile(r"^[A-Za-z0-9/_.~-]*$")

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class SettingsError(Exception):
    """Raised when a setting is missing or invalid; each line names one variable and its fix."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class Settings(BaseSettings):
    """Every setting of the bot, one environment variable each (the upper-case field name)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
        env_ignore_empty=True,
    )

    telegram_bot_token: SecretStr = Field(
        description="the bot token from @BotFather, such as 123456789:AAE...",
    )
    acedata_api_token: SecretStr = Field(
        description="the AceData Cloud API token from https://platform.acedata.cloud",
    )
    telegram_api_base_url: str = Field(
        "https://api.telegram.org",
        description="the root URL of a Bot API server, such as https://api.telegram.org",
    )
    acedata_api_base_url: str = Field(
        "https://api.acedata.cloud",
        description="the root URL of the AceData API, such as https://api.acedata.cloud",
    )
    database_path: Path = Field(
        Path("data/nanobanana-bot.sqlite3"),
        description="the path of the SQLite database file",
    )
    poll_interval_seconds: float = Field(
        10.0,
        gt=0,
        le=86400,
        description="a number of seconds between two polls of the watched tasks, greater than 0",
    )
    allowed_chat_ids: Annotated[frozenset[int], NoDecode] = Field(
        frozenset(),
        description="a comma-separated list of numeric chat ids, or empty for every chat",
    )
    watch_timeout_hours: float = Field(
        24.0,
        gt=0,
        le=24 * 365,
        description="the number of hours after which an unfinished watch is dropped",
    )
    watch_limit_per_chat: int = Field(
        100,
        ge=1,
        le=100_000,
        description="the maximum number of open watches of one chat, from 1 to 100000",
    )
    telegram_messages_per_second: float = Field(
        30.0,
        gt=0,
        le=10_000,
        description="the maximum number of messages the bot sends per second, over all chats",
    )
    telegram_group_messages_per_minute: float = Field(
        20.0,
        gt=0,
        le=10_000,
        description="the maximum number of messages the bot sends per minute to one group",
    )
    allowed_user_ids: Annotated[frozenset[int], NoDecode] = Field(
        frozenset(),
        description="a comma-separated list of numeric user ids, or empty for every user",
    )
    user_commands_per_minute: int = Field(
        20,
        ge=1,
        le=10_000,
        description="the maximum number of commands one user may send per minute",
    )
    allow_create: bool = Field(
        False,
        description="true to let users start generations with /imagine and /edit, else false",
    )
    create_images_per_user_per_day: int = Field(
        10,
        ge=1,
        le=10_000,
        description="the maximum number of images one user may create per day (UTC)",
    )
    log_level: LogLevel = Field(
        "INFO",
        description="one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    )
    batch_max_ids: int = Field(
        50,
        ge=1,
        le=1000,
        description="the maximum number of task ids one /batch accepts, from 1 to 1000",
    )
    api_chunk_size: int = Field(
        50,
        ge=1,
        le=1000,
        description="the maximum number of task ids sent in one retrieve_batch call, from 1 to 1000",
    )
    api_concurrent_calls: int = Field(
        4,
        ge=1,
        le=16,
        description="the maximum number of retrieve_batch calls a poll cycle runs at once, from 1 to 16",
    )
    api_max_attempts: int = Field(
        3,
        ge=1,
        le=10,
        description="the number of tries of one task API call before it fails, from 1 to 10",
    )
    api_retry_max_wait_seconds: float = Field(
        8.0,
        ge=0,
        le=300,
        description="the maximum wait in seconds between two tries of a task API call",
    )
    api_timeout_seconds: float = Field(
        30.0,
        gt=0,
        le=600,
        description="a number of seconds to wait for one task API response, greater than 0",
    )
    telegram_timeout_seconds: float = Field(
        30.0,
        gt=0,
        le=600,
        description=(
            "a number of seconds to wait for the Bot API server to take one request and to "
            "respond to it, greater than 0"
        ),
    )

    webhook_url: str | None = Field(
        None,
        description=(
            "the public URL that Telegram sends updates to, such as "
            "https://bot.example.com/telegram, without a query, or empty for long polling"
        ),
    )
    webhook_listen: str = Field(
        "127.0.0.1",
        description="the IP address the webhook listener binds to, such as 127.0.0.1 or 0.0.0.0",
    )
    webhook_port: int = Field(
        8080,
        ge=1,
        le=65535,
        description="the TCP port of the webhook listener, from 1 to 65535",
    )
    webhook_secret_token: SecretStr | None = Field(
        None,
        description=(
            "1 to 256 characters from A-Z, a-z, 0-9, _ and -, or empty to generate one at "
            "each start"
        ),
    )
    health_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description=(
            "the TCP port of the health endpoint, from 1 to 65535 and other than WEBHOOK_PORT "
            "in webhook mode, or empty to turn the endpoint off"
        ),
    )
    health_listen: str = Field(
        "127.0.0.1",
        description="the IP address the health endpoint binds to, such as 127.0.0.1 or 0.0.0.0",
    )
    create_callback_url: str | None = Field(
        None,
        description=(
            "the public http(s) URL that reaches CREATE_CALLBACK_PORT, such as "
            "https://bot.example.com/acedata-callback, or empty to rely on polling"
        ),
    )
    create_callback_listen: str = Field(
        "127.0.0.1",
        description="the IP address the callback listener binds to, such as 127.0.0.1 or 0.0.0.0",
    )
    create_callback_port: int = Field(
        8081,
        ge=1,
        le=65535,
        description=(
            "the TCP port of the callback listener, from 1 to 65535 and other than the "
            "webhook's and the health endpoint's"
        ),
    )
    log_summary_every_cycles: int = Field(
        60,
        ge=0,
        le=1_000_000,
        description="the number of poll cycles between two summary log lines, or 0 for none",
    )

    @field_validator("telegram_bot_token")
    @classmethod
    def _check_telegram_token(cls, value: SecretStr) -> SecretStr:
        if not TELEGRAM_TOKEN_PATTERN.fullmatch(value.get_secret_value().strip()):
            raise ValueError("not a bot token")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("acedata_api_token")
    @classmethod
    def _check_acedata_token(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().strip()
        if not token or any(character.isspace() for character in token):
            raise ValueError("empty or contains spaces")
        return SecretStr(token)

    @field_validator("telegram_api_base_url", "acedata_api_base_url", "create_callback_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = value.strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("not an http(s) URL")
        if parts.query or parts.fragment:
            raise ValueError("has a query or fragment")
        return url

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = value.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("not an http(s) URL")
        if parts.query or parts.fragment:
            raise ValueError("has a query or fragment")
        if not _WEBHOOK_PATH_PATTERN.fullmatch(parts.path):
            raise ValueError("path has characters other than letters, digits and /_.~-")
        return url

    @field_validator("webhook_listen", "health_listen", "create_callback_listen")
    @classmethod
    def _check_ip_address(cls, value: str) -> str:
        address = value.strip()
        ipaddress.ip_address(address)
        return address

    @field_validator("webhook_secret_token")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value().strip()
        if not WEBHOOK_SECRET_PATTERN.fullmatch(secret):
            raise ValueError("not 1 to 256 characters from A-Z, a-z, 0-9, _ and -")
        return SecretStr(secret)

    @field_validator("health_port")
    @classmethod
    def _check_health_port(cls, value: int | None, info: ValidationInfo) -> int | None:
        # Both listeners may bind the same address, so webhook mode needs two different ports.
        webhook_port = info.data.get("webhook_port") if info.data.get("webhook_url") else None
        if value is not None and value == webhook_port:
            raise ValueError("same port as WEBHOOK_PORT")
        return value

    @field_validator("create_callback_port")
    @classmethod
    def _check_callback_port(cls, value: int, info: ValidationInfo) -> int:
        if not info.data.get("allow_create") or not info.data.get("create_callback_url"):
            return value
        if info.data.get("webhook_url") and value == info.data.get("webhook_port"):
            raise ValueError("same port as WEBHOOK_PORT")
        if value == info.data.get("health_port"):
            raise ValueError("same port as HEALTH_PORT")
        return value

    @field_validator("allowed_chat_ids", "allowed_user_ids", mode="before")
    @classmethod
    def _split_chat_ids(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        items = [item.strip() for item in value.split(",")]
        return frozenset(int(item) for item in items if item)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    """Read the settings, raising SettingsError with one line per missing or invalid variable.

    Variables set in the environment win over the same ones in `env_file`.
    """
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as error:
        raise SettingsError(_describe_errors(error)) from None


def _describe_errors(error: ValidationError) -> list[str]:
    lines: list[str] = []
    seen: set[str] = set()
    for detail in error.errors():
        field_name = str(detail["loc"][0]) if detail["loc"] else ""
        if field_name in seen or field_name not in Settings.model_fields:
            continue
        seen.add(field_name)
        variable = field_name.upper()
        expected = Settings.model_fields[field_name].description
        if detail["type"] == "missing":
            lines.append(
                f"Missing setting {variable}: set it to {expected}, "
                "in the environment or in the .env file."
            )
        else:
            lines.append(
                f"Invalid setting {variable}{_shown_value(field_name, detail)}: "
                f"expected {expected}. Fix it in the environment or in the .env file."
            )
    return lines or [f"Invalid settings: {error.error_count()} errors."]


def _shown_value(field_name: str, detail: Mapping[str, Any]) -> str:
    # Tokens are secrets: an error names the variable, never its value.
    if field_name.endswith("_token"):
        return ""
    value = detail.get("input")
    if not isinstance(value, str):
        return ""
    if len(value) > 60:
        value = value[:57] + "..."
    return f"={value!r}"
