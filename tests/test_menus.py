"""The command menus set at start-up, for private chats and for groups, against /help."""

from __future__ import annotations

import re

import pytest

from bot.render import command_menu, help_text
from tests.fakes.telegram_html import parse_html
from tests.fakes.telegram_server import Fault

SCOPES = ["all_private_chats", "all_group_chats"]


def help_entries(max_batch_ids: int, create_enabled: bool) -> list[tuple[str, str]]:
    """Return each command that starts a line of /help, with the line that follows it."""
    lines = parse_html(help_text(max_batch_ids, create_enabled)).splitlines()
    entries = []
    for position, line in enumerate(lines[:-1]):
        match = re.match(r"^/([a-z_]+)", line)
        if match:
            entries.append((match.group(1), lines[position + 1]))
    return entries


@pytest.mark.parametrize("create_enabled", [False, True])
@pytest.mark.parametrize("max_batch_ids", [1, 50, 1000])
def test_menu_matches_help(max_batch_ids, create_enabled):
    menu = command_menu(max_batch_ids, create_enabled)
    entries = help_entries(max_batch_ids, create_enabled)

    assert [command for command, _ in menu] == [command for command, _ in entries]
    for (command, description), (_, explanation) in zip(menu, entries, strict=True):
        assert explanation.startswith(description + "."), command


@pytest.mark.bot_settings(batch_max_ids=20)
async def test_menus_set_for_private_chats_and_groups(bot, telegram):
    expected = [
        {"command": command, "description": description}
        for command, description in command_menu(20)
    ]

    calls = telegram.sent("setMyCommands")

    assert sorted(call.params["scope"]["type"] for call in calls) == sorted(SCOPES)
    for scope in SCOPES:
        assert telegram.command_menus[(scope, "")] == expected
    assert telegram.command_menus.get(("default", "")) is None


async def test_menu_failure_does_not_stop_bot(telegram, task_api, tmp_path, caplog):
    from tests.harness import started_bot

    telegram.add_fault(Fault("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID", times=2))

    async with started_bot(telegram, task_api, database_path=tmp_path / "bot.sqlite3") as bot:
        await bot.command("/help")

    assert len(telegram.sent("sendMessage")) == 1
    assert "Setting the command menu of scope all_private_chats failed" in caplog.text
    assert "Setting the command menu of scope all_group_chats failed" in caplog.text


@pytest.mark.bot_settings(allow_create=True)
async def test_menu_lists_create_commands_when_on(bot, telegram):
    menu = telegram.command_menus[("all_private_chats", "")]

    assert [entry["command"] for entry in menu] == [
        "task", "batch", "watch", "unwatch", "watches", "imagine", "edit", "help"
    ]
