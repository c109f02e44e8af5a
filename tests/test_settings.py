"""Settings from the environment and a .env file, and their error lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

BOT_TOKEN = "123456789:AAE-settings-test_token"
API_TOKEN = "acedata-settings-token"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("ACEDATA_API_TOKEN", API_TOKEN)


def test_defaults(required):
    settings = load_settings(env_file=None)

    assert settings.telegram_api_base_url == "https://api.telegram.org"
    assert settings.acedata_api_base_url == "https://api.acedata.cloud"
    assert settings.database_path == Path("data/nanobanana-bot.sqlite3")
    assert settings.poll_interval_seconds == 10.0
    assert settings.allowed_chat_ids == frozenset()
    assert settings.log_level == "INFO"
    assert settings.batch_max_ids == 50
    assert settings.api_chunk_size == 50


def test_missing_tokens_each_named():
    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)

    lines = raised.value.lines
    assert len(lines) == 2
    assert lines[0].startswith("Missing setting TELEGRAM_BOT_TOKEN: set it to the bot token")
    assert lines[1].startswith("Missing setting ACEDATA_API_TOKEN: set it to")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("POLL_INTERVAL_SECONDS", "abc", "POLL_INTERVAL_SECONDS='abc': expected a number of seconds"),
        ("POLL_INTERVAL_SECONDS", "0", "POLL_INTERVAL_SECONDS='0': expected a number of seconds"),
        ("ALLOWED_CHAT_IDS", "12,x", "ALLOWED_CHAT_IDS='12,x': expected a comma-separated list"),
        ("TELEGRAM_API_BASE_URL", "ftp://x", "TELEGRAM_API_BASE_URL='ftp://x': expected the root URL"),
        ("ACEDATA_API_BASE_URL", "api.acedata.cloud", "ACEDATA_API_BASE_URL='api.acedata.cloud'"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL='LOUD': expected one of DEBUG"),
        ("BATCH_MAX_IDS", "0", "BATCH_MAX_IDS='0': expected the maximum number"),
        ("TELEGRAM_TIMEOUT_SECONDS", "0", "TELEGRAM_TIMEOUT_SECONDS='0': expected a number of"),
        ("WEBHOOK_URL", "ftp://bot.example.com/hook", "WEBHOOK_URL='ftp://bot.example.com/hook'"),
        ("WEBHOOK_URL", "https://bot.example.com/?a=1", "WEBHOOK_URL='https://bot.example.com/?a"),
        ("WEBHOOK_URL", "https://bot.example.com/(x)", "WEBHOOK_URL='https://bot.example.com/(x)'"),
        ("WEBHOOK_LISTEN", "localhost", "WEBHOOK_LISTEN='localhost': expected the IP address"),
        ("WEBHOOK_PORT", "70000", "WEBHOOK_PORT='70000': expected the TCP port"),
        ("HEALTH_PORT", "0", "HEALTH_PORT='0': expected the TCP port of the health endpoint"),
        ("HEALTH_LISTEN", "256.0.0.1", "HEALTH_LISTEN='256.0.0.1': expected the IP address"),
        ("LOG_SUMMARY_EVERY_CYCLES", "-1", "LOG_SUMMARY_EVERY_CYCLES='-1': expected the number"),
    ],
)
def test_invalid_value_named_with_fix(monkeypatch, required, name, value, expected):
    monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)

    assert len(raised.value.lines) == 1
    assert raised.value.lines[0].startswith(f"Invalid setting {expected}")
    assert raised.value.lines[0].endswith("Fix it in the environment or in the .env file.")


def test_invalid_token_value_not_shown(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "secret-without-colon")
    monkeypatch.setenv("ACEDATA_API_TOKEN", API_TOKEN)

    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)

    assert raised.value.lines[0].startswith("Invalid setting TELEGRAM_BOT_TOKEN: expected")
    assert "secret-without-colon" not in str(raised.value)


def test_lists_and_urls_parsed(monkeypatch, required):
    monkeypatch.setenv("ALLOWED_CHAT_IDS", " -1001234567890, 42 ,,7")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("LOG_LEVEL", "debug")

    settings = load_settings(env_file=None)

    assert settings.allowed_chat_ids == frozenset({-1001234567890, 42, 7})
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081"
    assert settings.log_level == "DEBUG"


def test_env_file_read(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"TELEGRAM_BOT_TOKEN={BOT_TOKEN}\nACEDATA_API_TOKEN={API_TOKEN}\nPOLL_INTERVAL_SECONDS=2.5\n"
    )

    settings = load_settings(env_file=env_file)

    assert settings.telegram_bot_token.get_secret_value() == BOT_TOKEN
    assert settings.poll_interval_seconds == 2.5


def test_environment_wins_over_env_file(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text(f"TELEGRAM_BOT_TOKEN={BOT_TOKEN}\nACEDATA_API_TOKEN=from-file\n")
    monkeypatch.setenv("ACEDATA_API_TOKEN", "from-environment")

    settings = load_settings(env_file=env_file)

    assert settings.acedata_api_token.get_secret_value() == "from-environment"


def test_repr_hides_tokens(required):
    settings = load_settings(env_file=None)

    assert BOT_TOKEN not in repr(settings)
    assert API_TOKEN not in repr(settings)
    assert BOT_TOKEN not in str(settings.model_dump())


def test_empty_values_count_as_missing(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("TELEGRAM_BOT_TOKEN=\nACEDATA_API_TOKEN=\nALLOWED_CHAT_IDS=\n")

    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=env_file)

    assert [line.split(":")[0] for line in raised.value.lines] == [
        "Missing setting TELEGRAM_BOT_TOKEN",
        "Missing setting ACEDATA_API_TOKEN",
    ]


def test_env_example_lists_every_setting():
    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text()
    names = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}

    assert names == {name.upper() for name in Settings.model_fields}


def test_webhook_and_health_off_by_default(required):
    settings = load_settings(env_file=None)

    assert settings.webhook_url is None
    assert settings.webhook_listen == "127.0.0.1"
    assert settings.webhook_port == 8080
    assert settings.webhook_secret_token is None
    assert settings.health_port is None
    assert settings.health_listen == "127.0.0.1"
    assert settings.log_summary_every_cycles == 60


def test_webhook_settings_parsed(monkeypatch, required):
    monkeypatch.setenv("WEBHOOK_URL", " https://bot.example.com/telegram ")
    monkeypatch.setenv("WEBHOOK_LISTEN", "::")
    monkeypatch.setenv("WEBHOOK_SECRET_TOKEN", "abc_DEF-123")
    monkeypatch.setenv("HEALTH_PORT", "8081")

    settings = load_settings(env_file=None)

    assert settings.webhook_url == "https://bot.example.com/telegram"
    assert settings.webhook_listen == "::"
    assert settings.webhook_secret_token is not None
    assert settings.webhook_secret_token.get_secret_value() == "abc_DEF-123"
    assert settings.health_port == 8081


def test_invalid_webhook_secret_not_shown(monkeypatch, required):
    monkeypatch.setenv("WEBHOOK_SECRET_TOKEN", "secret with spaces")

    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)

    assert raised.value.lines[0].startswith(
        "Invalid setting WEBHOOK_SECRET_TOKEN: expected 1 to 256"
    )
    assert "secret with spaces" not in str(raised.value)


def test_health_port_must_differ_from_webhook_port(monkeypatch, required):
    monkeypatch.setenv("HEALTH_PORT", "8080")
    assert load_settings(env_file=None).health_port == 8080

    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.com/telegram")
    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)

    assert raised.value.lines[0].startswith("Invalid setting HEALTH_PORT='8080': expected")
    assert "other than WEBHOOK_PORT in webhook mode" in raised.value.lines[0]


def test_callback_port_must_differ_from_health_port(monkeypatch, required):
    monkeypatch.setenv("ALLOW_CREATE", "true")
    monkeypatch.setenv("CREATE_CALLBACK_URL", "https://bot.example.com/acedata")
    monkeypatch.setenv("HEALTH_PORT", "8081")

    with pytest.raises(SettingsError) as raised:
        load_settings(env_file=None)

    assert raised.value.lines[0].startswith("Invalid setting CREATE_CALLBACK_PORT: expected")
