"""The command menus set at start-up, for private chats and for groups in each language,
against /help."""

from __future__ import annotations

import re

import pytest

from bot.i18n import SUPPORTED_LANGUAGES, Translator, translator
from bot.render import command_menu, help_text
from tests.fakes.telegram_html import parse_html
from tests.fakes.telegram_server import Fault

SCOPES = ["all_private_chats", "all_group_chats"]

# The language code each menu is set for: English is the menu without a code, which
# Telegram shows to users of every language without a menu of its own.
MENU_LANGUAGE_CODES = {"en": "", "zh": "zh"}

# What may end the first sentence of a /help entry, in English and in Chinese.
SENTENCE_ENDS = (".", "。")

CJK = re.compile(r"[\u4e00-\u9fff]")


def help_entries(t: Translator, max_batch_ids: int, create_enabled: bool) -> list[tuple[str, str]]:
    """Return each command that starts a line of /help, with the line that follows it."""
    lines = parse_html(help_text(t, max_batch_ids, create_enabled)).splitlines()
    entries = []
    for position, line in enumerate(lines[:-1]):
        match = re.match(r"^/([a-z_]+)", line)
        if match:
            entries.append((match.group(1), lines[position + 1]))
    return entries


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("create_enabled", [False, True])
@pytest.mark.parametrize("max_batch_ids", [1, 50, 1000])
def test_menu_matches_help(language, max_batch_ids, create_enabled):
    t = translator(language)
    menu = command_menu(t, max_batch_ids, create_enabled)
    entries = help_entries(t, max_batch_ids, create_enabled)

    assert [command for command, _ in menu] == [command for command, _ in entries]
    for (command, description), (_, explanation) in zip(menu, entries, strict=True):
        assert explanation.startswith(description), command
        assert explanation[len(description)] in SENTENCE_ENDS, command


def test_menu_languages_cover_catalogues():
    assert set(MENU_LANGUAGE_CODES) == set(SUPPORTED_LANGUAGES)


@pytest.mark.bot_settings(batch_max_ids=20)
async def test_menus_set_for_private_chats_and_groups(bot, telegram):
    calls = telegram.sent("setMyCommands")

    assert len(calls) == len(SCOPES) * len(MENU_LANGUAGE_CODES)
    for language, code in MENU_LANGUAGE_CODES.items():
        expected = [
            {"command": command, "description": description}
            for command, description in command_menu(translator(language), 20)
        ]
        for scope in SCOPES:
            assert telegram.command_menus[(scope, code)] == expected, (scope, language)
    assert telegram.command_menus.get(("default", "")) is None


@pytest.mark.bot_settings(batch_max_ids=20)
async def test_chinese_menu_in_chinese(bot, telegram):
    english = telegram.command_menus[("all_private_chats", "")]
    chinese = telegram.command_menus[("all_private_chats", "zh")]

    assert [entry["command"] for entry in chinese] == [entry["command"] for entry in english]
    for entry in chinese:
        assert CJK.search(entry["description"]), entry
    assert chinese[1]["description"] == "一次查看最多 20 个任务"


async def test_menu_failure_does_not_stop_bot(telegram, task_api, tmp_path, caplog):
    from tests.harness import started_bot

    telegram.add_fault(Fault("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID", times=2))

    async with started_bot(telegram, task_api, database_path=tmp_path / "bot.sqlite3") as bot:
        await bot.command("/help")

    assert len(telegram.sent("sendMessage")) == 1
    assert "Setting the command menu of scope all_private_chats failed" in caplog.text
    assert "Setting the command menu of scope all_group_chats failed" in caplog.text
    assert telegram.command_menus[("all_private_chats", "zh")]


@pytest.mark.bot_settings(allow_create=True)
async def test_menu_lists_create_commands_when_on(bot, telegram):
    for code in MENU_LANGUAGE_CODES.values():
        menu = telegram.command_menus[("all_private_chats", code)]

        assert [entry["command"] for entry in menu] == [
            "task", "batch", "watch", "unwatch", "watches", "imagine", "edit", "lang", "help"
        ]
