"""Odd input: huge arguments, many ids, other scripts, invisible characters, broken state."""

from __future__ import annotations

import logging

import pytest

from tests.fakes.telegram_html import parse_html, utf16_length
from tests.fakes.updates import ALICE, group_chat

TASK_ID = "4d320ead-4af4-4a55-8f3e-f2afebdf4fd0"


def texts_to(telegram, chat_id: int = ALICE) -> list[str]:
    return [parse_html(call.text) for call in telegram.sent("sendMessage", chat_id=chat_id)]


async def test_huge_argument_named_and_cut(bot, telegram, task_api):
    await bot.command("/task " + "x" * 10_000)

    [text] = texts_to(telegram)
    assert text.startswith("⚠️ " + "x" * 50)
    assert "… is not a valid task id." in text
    assert utf16_length(text) < 300
    assert task_api.calls == []


async def test_hundreds_of_ids_refused_with_count(bot, telegram, task_api):
    ids = [f"{n:08x}-0000-4000-8000-000000000000" for n in range(300)]

    await bot.command("/batch " + "\n".join(ids))
    await bot.command("/watch " + " ".join(ids))
    await bot.command("/task " + " ".join(ids))

    texts = texts_to(telegram)
    assert texts[0].startswith("⚠️ This /batch has 300 different task ids, and one /batch takes at most 50.")
    assert texts[1].startswith("⚠️ This /watch has 300 different task ids, and one /watch takes at most 50.")
    assert texts[2].startswith("/task takes one task id, and this message has 300.")
    assert task_api.calls == []
    assert await bot.services.store.count_open() == 0


async def test_many_invalid_values_counted(bot, telegram, task_api):
    await bot.command("/batch " + " ".join(f"junk{n}" for n in range(500)))

    [reply] = texts_to(telegram)
    lines = reply.splitlines()
    assert lines[0] == "⚠️ junk0 is not a valid task id"
    assert len(lines) == 12
    assert lines[10] == "⚠️ and 490 more values that are not task ids"
    assert lines[11].startswith("Nothing was looked up.")
    assert task_api.calls == []
    assert telegram.sent("sendChatAction") == []


@pytest.mark.parametrize("value", ["任务", "задача", "🍌🍌", "ÀÉÎ"])
async def test_non_ascii_value_named(bot, telegram, task_api, value):
    await bot.command(f"/task {value}")

    [text] = texts_to(telegram)
    assert text.startswith(f"⚠️ {value} is not a valid task id.")


async def test_zero_width_around_id_accepted(bot, telegram, task_api):
    task_api.add_sample("task-succeeded.json")

    await bot.command(f"/task \u200b{TASK_ID}\u2060\ufeff")

    [call] = task_api.calls
    assert call.ids == [TASK_ID]
    assert len(telegram.sent("sendPhoto")) == 1


async def test_bad_input_keeps_watches(bot, telegram, task_api):
    await bot.command(f"/watch {TASK_ID}", chat=group_chat(-4001))

    await bot.command("/unwatch " + "🍌" * 3000, chat=group_chat(-4001))
    await bot.command("/unwatch", chat=group_chat(-4001))
    await bot.command("/watch nonsense", chat=group_chat(-4001))

    assert await bot.services.store.count_open(-4001) == 1
    texts = texts_to(telegram, -4001)
    assert texts[1].startswith("⚠️ 🍌")
    assert texts[2].startswith("Send /unwatch followed by task ids")


async def test_non_finite_timestamps_ignored(bot, telegram, task_api):
    task_api.tasks[TASK_ID] = (
        b'{"id": "%s", "created_at": NaN, "finished_at": Infinity, "request": {"prompt": "p"}}'
        % TASK_ID.encode()
    )

    await bot.command(f"/task {TASK_ID}")

    [text] = texts_to(telegram)
    assert text.startswith(f"⏳ Task {TASK_ID} is still running.")


async def test_unexpected_error_logged_once_and_told(bot, telegram, task_api, caplog):
    caplog.set_level(logging.ERROR, logger="bot")
    # Closing the database under the running bot makes the next /watch fail unexpectedly.
    await bot.services.store.close()

    await bot.command(f"/watch {TASK_ID}", chat=group_chat(-4001))

    [record] = [r for r in caplog.records if r.name == "bot.errors"]
    assert record.getMessage() == f"Unhandled ValueError in chat -4001, tasks [{TASK_ID}]"
    assert record.exc_info is not None
    assert texts_to(telegram, -4001) == [
        "Sorry, something went wrong while handling this message. Please try again later."
    ]
    assert len(bot.errors) == 1
    bot.errors.clear()

    await bot.command("/help", chat=group_chat(-4001))
    assert texts_to(telegram, -4001)[-1].startswith("Nano Banana task bot")
