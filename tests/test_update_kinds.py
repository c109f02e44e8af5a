"""Updates that carry no new message, and chats the bot does not serve."""

from __future__ import annotations

import time

import pytest

from tests.fakes.telegram_html import parse_html
from tests.fakes.updates import ALICE, BOB, group_chat, message, private_chat, user

TASK_ID = "4d320ead-4af4-4a55-8f3e-f2afebdf4fd0"


@pytest.mark.parametrize(
    "update",
    [
        {"edited_message": message(f"/task {TASK_ID}")},
        {"channel_post": {**message(f"/task {TASK_ID}"), "chat": {"id": -100555, "type": "channel", "title": "News"}}},
        {"edited_channel_post": {**message("hi"), "chat": {"id": -100555, "type": "channel", "title": "News"}}},
        {
            "callback_query": {
                "id": "cb-1",
                "from": user(ALICE),
                "chat_instance": "ci-1",
                "data": "unknown:button",
                "message": message("old message"),
            }
        },
        {
            "my_chat_member": {
                "chat": group_chat(-4001),
                "from": user(ALICE),
                "date": int(time.time()),
                "old_chat_member": {"status": "left", "user": user(123456789)},
                "new_chat_member": {"status": "member", "user": user(123456789)},
            }
        },
        {"message": {**message("x"), "text": None, "photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]}},
        {"message": {**message("", chat=group_chat(-4001)), "new_chat_members": [user(BOB)]}},
    ],
    ids=["edited", "channel-post", "edited-channel-post", "callback", "member", "photo", "service"],
)
async def test_update_without_command_is_harmless(bot, telegram, task_api, update):
    await bot.send(update)

    assert bot.errors == []
    assert telegram.sent("sendPhoto", "sendMediaGroup") == []
    assert task_api.calls == []


async def test_bot_keeps_answering_after_odd_updates(bot, telegram, task_api):
    task_api.add_sample("task-succeeded.json")
    await bot.send({"edited_message": message(f"/task {TASK_ID}")})

    await bot.command(f"/task {TASK_ID}")

    assert len(telegram.sent("sendPhoto")) == 1


async def test_pasted_id_in_private_chat_answered(bot, telegram, task_api):
    task_api.add_sample("task-succeeded.json")

    await bot.send({"message": message(f"here: {TASK_ID}")})

    assert task_api.calls[0].action == "retrieve"
    assert len(telegram.sent("sendPhoto")) == 1


async def test_pasted_ids_in_private_chat_batched(bot, telegram, task_api):
    other = "11111111-2222-4333-8444-555555555555"

    await bot.send({"message": message(f"{TASK_ID}\n{other}")})

    [call] = task_api.calls
    assert call.action == "retrieve_batch"
    assert call.ids == [TASK_ID, other]


async def test_plain_text_in_private_chat_hints_help(bot, telegram, task_api):
    await bot.send({"message": message("hello bot")})

    [reply] = telegram.sent("sendMessage")
    assert parse_html(reply.text) == "Send a task id, or /help to see what this bot does."
    assert task_api.calls == []


async def test_plain_text_in_group_ignored(bot, telegram, task_api):
    await bot.send({"message": message(f"look {TASK_ID}", chat=group_chat(-4001))})

    assert telegram.sent("sendMessage") == []
    assert task_api.calls == []


async def test_unknown_command_in_private_chat(bot, telegram):
    await bot.command("/frobnicate now")

    [reply] = telegram.sent("sendMessage")
    assert parse_html(reply.text) == "Unknown command /frobnicate. Send /help to see the commands."


async def test_unknown_command_in_group_ignored(bot, telegram):
    await bot.command("/frobnicate", chat=group_chat(-4001))

    assert telegram.sent("sendMessage") == []


@pytest.mark.parametrize("command", ["/start", "/help", "/help@NanoBananaTestBot"])
async def test_help_lists_commands(bot, telegram, command):
    await bot.command(command)

    [reply] = telegram.sent("sendMessage")
    text = parse_html(reply.text)
    assert f"/task {TASK_ID}" in text
    assert "/batch " in text
    assert "/help" in text


@pytest.mark.bot_settings(allowed_chat_ids=frozenset({ALICE}))
async def test_other_chat_refused_once(bot, telegram, task_api):
    stranger = private_chat(BOB)

    await bot.command(f"/task {TASK_ID}", chat=stranger, from_user=BOB)
    await bot.command(f"/task {TASK_ID}", chat=stranger, from_user=BOB)
    await bot.command("/help", chat=stranger, from_user=BOB)

    [refusal] = telegram.sent("sendMessage", chat_id=BOB)
    assert parse_html(refusal.text) == (
        f"This bot serves only its operator's chats. This chat's id is {BOB}."
    )
    assert task_api.calls == []
    assert telegram.sent("sendChatAction") == []


@pytest.mark.bot_settings(allowed_chat_ids=frozenset({ALICE}))
async def test_allowed_chat_served(bot, telegram, task_api):
    task_api.add_sample("task-succeeded.json")

    await bot.command(f"/task {TASK_ID}", chat=private_chat(ALICE))

    assert len(telegram.sent("sendPhoto", chat_id=ALICE)) == 1
