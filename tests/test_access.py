"""Who may use the bot: allowed chats and users, admins in groups, and a rate limit per user."""

from __future__ import annotations

import pytest

from tests.fakes.telegram_html import parse_html
from tests.fakes.updates import ALICE, BOB, group_chat, message, private_chat, user

TASK_ID = "4d320ead-4af4-4a55-8f3e-f2afebdf4fd0"
OTHER_ID = "11111111-2222-4333-8444-555555555555"
TEAM = group_chat(-4100)
# Telegram's own account that sends the messages of anonymous group administrators.
GROUP_ANONYMOUS_BOT = 1087968824


def texts_to(telegram, chat_id: int) -> list[str]:
    return [parse_html(call.text) for call in telegram.sent("sendMessage", chat_id=chat_id)]


@pytest.mark.bot_settings(allowed_user_ids=frozenset({ALICE}))
async def test_allowed_user_served_in_any_chat(bot, telegram, task_api):
    task_api.add_sample("task-succeeded.json")

    await bot.command(f"/task {TASK_ID}", chat=TEAM, from_user=ALICE)

    assert len(telegram.sent("sendPhoto", chat_id=TEAM["id"])) == 1


@pytest.mark.bot_settings(allowed_user_ids=frozenset({ALICE}))
async def test_other_user_refused_once_without_api_call(bot, telegram, task_api):
    await bot.command(f"/task {TASK_ID}", chat=TEAM, from_user=BOB)
    await bot.command(f"/batch {TASK_ID}", chat=TEAM, from_user=BOB)

    assert texts_to(telegram, TEAM["id"]) == [
        f"This bot serves only its operator's chats. This chat's id is {TEAM['id']}, "
        f"and your user id is {BOB}."
    ]
    assert task_api.calls == []


@pytest.mark.bot_settings(allowed_chat_ids=frozenset({TEAM["id"]}), allowed_user_ids=frozenset({ALICE}))
async def test_chat_or_user_list_lets_in(bot, telegram, task_api):
    task_api.add_sample("task-succeeded.json")

    await bot.command(f"/task {TASK_ID}", chat=TEAM, from_user=BOB)
    await bot.command(f"/task {TASK_ID}", chat=private_chat(ALICE), from_user=ALICE)
    await bot.command(f"/task {TASK_ID}", chat=private_chat(BOB), from_user=BOB)

    assert len(telegram.sent("sendPhoto", chat_id=TEAM["id"])) == 1
    assert len(telegram.sent("sendPhoto", chat_id=ALICE)) == 1
    assert telegram.sent("sendPhoto", chat_id=BOB) == []
    assert len(task_api.calls) == 2


@pytest.mark.bot_settings(allowed_chat_ids=frozenset({TEAM["id"]}))
async def test_refused_chat_plain_text_ignored(bot, telegram, task_api):
    await bot.send({"message": message(TASK_ID, chat=private_chat(BOB), from_user=BOB)})

    assert telegram.sent("sendMessage") == []
    assert task_api.calls == []


@pytest.mark.bot_settings(allowed_chat_ids=frozenset({TEAM["id"]}))
async def test_refused_chat_button_press_answered(bot, telegram, task_api):
    stranger_group = group_chat(-4999)
    old_reply = message(f"Task {TASK_ID} is still running.", chat=stranger_group, message_id=12)

    await bot.send(
        {
            "callback_query": {
                "id": "press-1",
                "from": user(BOB),
                "chat_instance": "instance",
                "data": f"refresh:t:{TASK_ID}",
                "message": old_reply,
            }
        }
    )

    [answer] = telegram.sent("answerCallbackQuery")
    assert answer.params["text"] == "This bot no longer serves this chat."
    assert task_api.calls == []
    assert telegram.sent("editMessageText") == []


@pytest.mark.bot_settings(user_commands_per_minute=3)
async def test_rate_limit_warns_once_per_window(bot, telegram, task_api):
    for _ in range(6):
        await bot.command("/help", chat=TEAM, from_user=BOB)
    await bot.command("/help", chat=TEAM, from_user=ALICE)

    texts = texts_to(telegram, TEAM["id"])
    assert len(texts) == 5
    assert texts[3].startswith(
        "⏳ Too many commands: this bot takes 3 a minute from each person. Try again in "
    )
    assert texts[4].startswith("Nano Banana task bot")


async def test_unwatch_all_by_admin_removes_every_watch(bot, telegram, task_api):
    telegram.chat_admins[TEAM["id"]] = {ALICE}
    await bot.command(f"/watch {TASK_ID}", chat=TEAM, from_user=ALICE)
    await bot.command(f"/watch {OTHER_ID}", chat=TEAM, from_user=BOB)

    await bot.command("/unwatch all", chat=TEAM, from_user=ALICE)

    assert texts_to(telegram, TEAM["id"])[-1] == "Stopped watching all 2 tasks of this chat."
    assert await bot.services.store.count_open(TEAM["id"]) == 0


async def test_unwatch_all_by_member_removes_own(bot, telegram, task_api):
    await bot.command(f"/watch {TASK_ID}", chat=TEAM, from_user=ALICE)
    await bot.command(f"/watch {OTHER_ID}", chat=TEAM, from_user=BOB)

    await bot.command("/unwatch all", chat=TEAM, from_user=BOB)

    assert texts_to(telegram, TEAM["id"])[-1] == (
        "Stopped watching the 1 task you added here. Only the group's administrators can stop "
        "the watches that others added."
    )
    [left] = await bot.services.store.open_watches_of_chat(TEAM["id"])
    assert left.task_id == TASK_ID
    [check] = telegram.sent("getChatMember")
    assert check.params == {"chat_id": TEAM["id"], "user_id": BOB}


async def test_unwatch_all_by_anonymous_admin(bot, telegram, task_api):
    await bot.command(f"/watch {TASK_ID} {OTHER_ID}", chat=TEAM, from_user=BOB)
    update = {"message": {**message("/unwatch all", chat=TEAM, from_user=GROUP_ANONYMOUS_BOT), "sender_chat": TEAM}}

    await bot.send(update)

    assert await bot.services.store.count_open(TEAM["id"]) == 0
    assert telegram.sent("getChatMember") == []


async def test_unwatch_all_in_private_chat(bot, telegram, task_api):
    await bot.command(f"/watch {TASK_ID}")

    await bot.command("/unwatch all")

    assert texts_to(telegram, ALICE)[-1] == "Stopped watching the only task of this chat."


@pytest.mark.bot_settings(allowed_chat_ids=frozenset({TEAM["id"]}))
async def test_other_bots_command_in_refused_chat_ignored(bot, telegram, task_api):
    stranger_group = group_chat(-4999)

    await bot.command(f"/task@OtherBot {TASK_ID}", chat=stranger_group, from_user=BOB)
    await bot.command("/start@OtherBot", chat=stranger_group, from_user=BOB)

    assert telegram.sent("sendMessage") == []


@pytest.mark.bot_settings(user_commands_per_minute=2)
async def test_other_bots_commands_not_counted(bot, telegram, task_api):
    for _ in range(5):
        await bot.command("/help@OtherBot", chat=TEAM, from_user=BOB)
    await bot.command("/help", chat=TEAM, from_user=BOB)

    [reply] = texts_to(telegram, TEAM["id"])
    assert reply.startswith("Nano Banana task bot")
