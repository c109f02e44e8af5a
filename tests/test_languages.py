"""Replies in English and Simplified Chinese end to end: the sender's Telegram language, /lang,
persistence across restarts, and notifications of the poller, which has no sender."""

from __future__ import annotations

import time

import pytest

from bot.i18n import translator
from bot.render import help_text
from tests.fakes.task_api import ScriptedResponse
from tests.fakes.telegram_html import parse_html
from tests.fakes.updates import ALICE, BOB, group_chat, message
from tests.harness import started_bot
from tests.test_watch_flow import failed_task, running_task

TASK_ID = "dddddddd-0000-4000-8000-000000000001"
OTHER_ID = "dddddddd-0000-4000-8000-000000000002"
UNKNOWN_ID = "dddddddd-0000-4000-8000-0000000000ff"
GROUP = group_chat(-4321)
GROUP_ANONYMOUS_BOT = 1087968824


def texts_to(telegram, chat_id: int = ALICE) -> list[str]:
    return [parse_html(call.text) for call in telegram.sent("sendMessage", chat_id=chat_id)]


def last_text(telegram, chat_id: int = ALICE) -> str:
    return texts_to(telegram, chat_id)[-1]


# The sender's Telegram language ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [
        ("zh", "zh"), ("zh-hans", "zh"), ("zh-CN", "zh"), ("zh-SG", "zh"),
        ("zh-hant", "zh"), ("zh-TW", "zh"), ("zh-HK", "zh"),
        ("en", "en"), ("en-GB", "en"), ("fr", "en"), ("pt-br", "en"), (None, "en"),
    ],
)
async def test_help_in_sender_language(bot, telegram, language_code, expected):
    await bot.command("/help", language_code=language_code)

    expected_text = parse_html(help_text(translator(expected), bot.settings.batch_max_ids))
    assert last_text(telegram) == expected_text


async def test_chinese_help(bot, telegram):
    await bot.command("/help", language_code="zh")

    lines = last_text(telegram).splitlines()
    assert lines[0] == "Nano Banana 任务机器人"
    assert "命令" in lines
    assert "/lang en" in lines


async def test_task_states_in_chinese(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    task_api.set_task(failed_task(OTHER_ID, "content rejected"))

    await bot.command(f"/task {TASK_ID}", language_code="zh")
    running = telegram.sent("sendMessage")[-1]
    await bot.command(f"/task {OTHER_ID}", language_code="zh")
    failed = last_text(telegram)
    await bot.command(f"/task {UNKNOWN_ID}", language_code="zh")
    not_found = last_text(telegram)
    await bot.command("/task not-an-id", language_code="zh")
    invalid = last_text(telegram)

    assert parse_html(running.text).startswith(f"⏳ 任务 {TASK_ID} 仍在运行，")
    assert parse_html(running.text).endswith(f"👀 正在跟踪任务 {TASK_ID}：完成后图片会发到这里。")
    [[refresh, stop]] = running.params["reply_markup"]["inline_keyboard"]
    assert refresh["text"] == "刷新"
    assert stop["text"] == "停止跟踪"
    assert failed.startswith(f"❌ 任务 {OTHER_ID} 失败：content rejected")
    assert not_found.startswith(f"🔍 未找到任务 {UNKNOWN_ID}。")
    assert invalid.startswith("⚠️ not-an-id 不是有效的任务 ID。")


async def test_api_error_in_chinese(bot, telegram, task_api):
    body = b'{"error": {"code": "api_error", "message": "fetch failed"}}'
    task_api.script(*[ScriptedResponse(status=500, body=body)] * bot.settings.api_max_attempts)

    await bot.command(f"/task {TASK_ID}", language_code="zh")

    assert last_text(telegram) == "⚠️ 任务 API 自身出现故障。请过几分钟再试。"


async def test_english_user_gets_english(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))

    await bot.command(f"/task {TASK_ID}", language_code="en")

    assert last_text(telegram).startswith(f"⏳ Task {TASK_ID} is still running, started ")


@pytest.mark.bot_settings(allow_create=True)
async def test_option_error_in_chinese(bot, telegram):
    await bot.command("/imagine a cat --ar 5:4", language_code="zh")

    assert last_text(telegram) == (
        "⚠️ '5:4' 不是有效的宽高比。请使用以下之一：1:1, 3:2, 2:3, 16:9, 9:16, 4:3, 3:4。\n"
        "未创建任何内容。选项：--model, --ar, --res, --n。"
    )


@pytest.mark.bot_settings(allowed_chat_ids=frozenset({-1}))
async def test_refusal_in_chinese(bot, telegram):
    await bot.command("/help", language_code="zh")

    assert last_text(telegram) == f"此机器人只为运营者指定的聊天服务。本聊天的 ID 是 {ALICE}。"


async def test_error_notice_in_sender_language_without_database(bot, telegram):
    # A closed database makes /watch fail, and the chat's language cannot be read either.
    await bot.services.store.close()

    await bot.command(f"/watch {TASK_ID}", language_code="zh")

    assert last_text(telegram) == "抱歉，处理这条消息时出错了。请稍后再试。"
    assert len(bot.errors) == 1
    bot.errors.clear()


# /lang ----------------------------------------------------------------------------------------


async def test_lang_alone_shows_language(bot, telegram):
    await bot.command("/lang", language_code="zh")

    assert last_text(telegram).splitlines() == [
        "🌐 本聊天尚未选择语言，机器人会使用每个人的 Telegram 应用语言回复。你当前的语言：简体中文。",
        "",
        "如需更改，请发送以下命令之一：",
        "/lang en：English",
        "/lang zh：简体中文",
        "/lang auto：跟随每个人的 Telegram 应用语言",
    ]


async def test_lang_alone_names_chosen_language(bot, telegram):
    await bot.command("/lang zh", language_code="en")

    await bot.command("/lang", language_code="en")

    assert last_text(telegram).startswith("🌐 本聊天的语言为：简体中文（通过 /lang 设置）。")


async def test_unknown_language_named(bot, telegram):
    await bot.command("/lang fr")

    assert last_text(telegram).splitlines() == [
        "⚠️ fr is not a language this bot speaks. Send one of:",
        "/lang en: English",
        "/lang zh: 简体中文",
        "/lang auto: the language of each person's Telegram app",
    ]
    assert await bot.services.store.chat_language(ALICE) is None


async def test_lang_en_persists_across_restart(telegram, task_api, tmp_path):
    database = tmp_path / "bot.sqlite3"
    async with started_bot(telegram, task_api, database_path=database) as bot:
        await bot.command("/lang en", language_code="zh")
        assert last_text(telegram) == "✅ This chat's language is now English."
        await bot.command("/help", language_code="zh")
        assert last_text(telegram).startswith("Nano Banana task bot")

    async with started_bot(telegram, task_api, database_path=database) as bot:
        await bot.command("/help", language_code="zh")
        assert last_text(telegram).startswith("Nano Banana task bot")

        await bot.command("/lang auto", language_code="zh")
        assert last_text(telegram) == "✅ 本聊天已恢复跟随每个人的 Telegram 语言。你当前的语言：简体中文。"
        await bot.command("/help", language_code="zh")
        assert last_text(telegram).startswith("Nano Banana 任务机器人")


async def test_lang_takes_language_tags(bot, telegram):
    await bot.command("/lang ZH-cn", language_code="en")

    assert last_text(telegram) == "✅ 本聊天的语言已设为：简体中文。"
    assert await bot.services.store.chat_language(ALICE) == "zh"


async def test_group_member_cannot_change_language(bot, telegram):
    await bot.command("/lang zh", chat=GROUP, from_user=BOB)

    assert last_text(telegram, GROUP["id"]) == (
        "⚠️ Only the group's administrators can change its language."
    )
    assert await bot.services.store.chat_language(GROUP["id"]) is None


async def test_group_admin_changes_language(bot, telegram):
    telegram.chat_admins[GROUP["id"]] = {ALICE}

    await bot.command("/lang zh", chat=GROUP, from_user=ALICE)
    await bot.command("/help", chat=GROUP, from_user=BOB, language_code="en")

    assert texts_to(telegram, GROUP["id"])[0] == "✅ 本聊天的语言已设为：简体中文。"
    assert last_text(telegram, GROUP["id"]).startswith("Nano Banana 任务机器人")


async def test_anonymous_admin_changes_language(bot, telegram):
    update = {
        "message": {
            **message("/lang zh", chat=GROUP, from_user=GROUP_ANONYMOUS_BOT, language_code=None),
            "sender_chat": GROUP,
        }
    }

    await bot.send(update)

    assert await bot.services.store.chat_language(GROUP["id"]) == "zh"
    assert telegram.sent("getChatMember") == []


async def test_group_lang_alone_says_who_may_change(bot, telegram):
    await bot.command("/lang", chat=GROUP, from_user=BOB)

    assert last_text(telegram, GROUP["id"]).endswith(
        "In groups, only administrators can change the language."
    )


# Notifications, which have no sender ---------------------------------------------------------


async def test_notification_in_chat_language(bot, telegram, task_api):
    telegram.chat_admins[GROUP["id"]] = {ALICE}
    task_api.set_task(running_task(TASK_ID))
    await bot.command("/lang zh", chat=GROUP, from_user=ALICE, language_code="en")
    await bot.command(f"/watch {TASK_ID}", chat=GROUP, from_user=BOB, language_code="en")

    task_api.set_task(failed_task(TASK_ID, "content rejected"))
    await bot.services.poller.run_cycle()

    assert last_text(telegram, GROUP["id"]).startswith(f"❌ 任务 {TASK_ID} 失败：content rejected")


async def test_notification_in_watch_language(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    task_api.set_task(running_task(OTHER_ID))
    await bot.command(f"/watch {TASK_ID}", from_user=ALICE, language_code="zh")
    await bot.command(f"/watch {OTHER_ID}", from_user=BOB, language_code="en")
    [watch] = await bot.services.store.open_watches_of_chat(ALICE)
    assert watch.language == "zh"

    task_api.set_task(failed_task(TASK_ID))
    task_api.set_task(failed_task(OTHER_ID))
    await bot.services.poller.run_cycle()

    assert last_text(telegram, ALICE).startswith(f"❌ 任务 {TASK_ID} 失败：")
    assert last_text(telegram, BOB).startswith(f"❌ Task {OTHER_ID} failed: ")


async def test_chat_language_beats_watch_language(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    await bot.command(f"/watch {TASK_ID}", language_code="zh")
    await bot.command("/lang en", language_code="zh")

    task_api.set_task(failed_task(TASK_ID))
    await bot.services.poller.run_cycle()

    assert last_text(telegram).startswith(f"❌ Task {TASK_ID} failed: ")


async def test_expiry_notice_in_watch_language(bot, telegram):
    two_days_ago = time.time() - 48 * 3600
    await bot.services.store.add_watches(
        ALICE, None, [TASK_ID], added_by=ALICE, now=two_days_ago, limit=100, language="zh"
    )

    await bot.services.poller.run_cycle()

    assert last_text(telegram) == (
        f"⌛ 已停止跟踪任务 {TASK_ID}：它在 24 小时内没有完成。发送 /task {TASK_ID} 可再次查看。"
    )
