"""The "Refresh" and "Stop watching" buttons under a running task's message."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from bot import storage
from bot.i18n import translator
from bot.limits import MAX_CALLBACK_DATA_BYTES
from bot.watching import STOP_MESSAGE_PREFIX, stop_watching_markup, task_buttons
from tests.fakes.task_api import ScriptedResponse
from tests.fakes.telegram_server import Fault
from tests.fakes.telegram_html import parse_html
from tests.fakes.updates import ALICE, BOB, supergroup_chat, user
from tests.test_watch_flow import failed_task, finished_task, running_task

TASK_ID = "cccccccc-0000-4000-8000-000000000001"
FORUM = supergroup_chat(-1007777777777, forum=True)

_press_ids = itertools.count(1)


def press(data: str, message: dict, from_user: int = ALICE) -> dict:
    """Return a callback_query update for a press of a button with `data` under `message`."""
    return {
        "callback_query": {
            "id": f"press-{next(_press_ids)}",
            "from": user(from_user),
            "chat_instance": "instance",
            "data": data,
            "message": message,
        }
    }


async def running_message(bot, telegram, task_api, **options) -> dict:
    """Send /task for a running task and return the bot's reply as Telegram stored it."""
    task_api.set_task(running_task(TASK_ID))
    await bot.command(f"/task {TASK_ID}", message_id=70, **options)
    [reply] = telegram.sent("sendMessage")
    return reply.result


def keyboard_texts(call) -> list[str]:
    markup = call.params.get("reply_markup")
    if not markup:
        return []
    return [button["text"] for row in markup["inline_keyboard"] for button in row]


def answers(telegram) -> list[str]:
    return [call.params.get("text", "") for call in telegram.sent("answerCallbackQuery")]


async def test_refresh_still_running_updates_age(bot, telegram, task_api):
    reply = await running_message(bot, telegram, task_api)
    older = running_task(TASK_ID)
    older["created_at"] = time.time() - 600
    task_api.set_task(older)

    await bot.send(press(f"refresh:t:{TASK_ID}", reply))

    assert answers(telegram) == ["Still running."]
    [edit] = telegram.sent("editMessageText")
    assert edit.params["message_id"] == reply["message_id"]
    text = parse_html(edit.text)
    assert text.startswith(f"⏳ Task {TASK_ID} is still running, started 10 min ago.")
    assert text.endswith(
        f"👀 Watching task {TASK_ID}: its images will be sent here when it finishes."
    )
    assert keyboard_texts(edit) == ["Refresh", "Stop watching"]
    assert len(telegram.sent("sendMessage")) == 1


async def test_refresh_unchanged_text_keeps_message(bot, telegram, task_api):
    # Half a minute into "10 min", so that the age shown is the same at both moments.
    task = running_task(TASK_ID)
    task["created_at"] = time.time() - 630
    task_api.set_task(task)
    await bot.command(f"/task {TASK_ID}")
    [reply] = [call.result for call in telegram.sent("sendMessage")]

    await bot.send(press(f"refresh:t:{TASK_ID}", reply))

    assert answers(telegram) == ["Still running."]
    [edit] = telegram.sent("editMessageText", ok=None)
    assert edit.ok is False
    assert edit.description.startswith("Bad Request: message is not modified")
    assert bot.errors == []


async def test_refresh_finished_sends_images_once(bot, telegram, task_api):
    reply = await running_message(bot, telegram, task_api)
    task_api.set_task(finished_task(TASK_ID))

    await bot.send(press(f"refresh:t:{TASK_ID}", reply))
    await bot.services.poller.run_cycle()

    assert answers(telegram) == ["Finished: sending the images."]
    [edit] = telegram.sent("editMessageText")
    assert parse_html(edit.text).startswith(
        f"✅ Task {TASK_ID} finished with 1 image, sent as a reply to this message."
    )
    assert keyboard_texts(edit) == []
    [photo] = telegram.sent("sendPhoto")
    assert photo.params["reply_parameters"]["message_id"] == reply["message_id"]
    watch = await bot.services.store.find_watch(ALICE, None, TASK_ID)
    assert watch is not None
    assert watch.state == storage.SUCCEEDED
    assert watch.notified_at is not None


async def test_refresh_after_poller_does_not_resend(bot, telegram, task_api):
    reply = await running_message(bot, telegram, task_api)
    task_api.set_task(finished_task(TASK_ID))
    await bot.services.poller.run_cycle()
    assert len(telegram.sent("sendPhoto")) == 1

    await bot.send(press(f"refresh:t:{TASK_ID}", reply))

    assert answers(telegram) == ["Finished."]
    [edit] = telegram.sent("editMessageText")
    assert parse_html(edit.text).startswith(
        f"✅ Task {TASK_ID} finished with 1 image, sent to this chat earlier."
    )
    assert len(telegram.sent("sendPhoto")) == 1


async def test_refresh_failed_edits_message(bot, telegram, task_api):
    reply = await running_message(bot, telegram, task_api)
    task_api.set_task(failed_task(TASK_ID, "content rejected"))

    await bot.send(press(f"refresh:t:{TASK_ID}", reply))
    await bot.services.poller.run_cycle()

    assert answers(telegram) == ["The task failed."]
    [edit] = telegram.sent("editMessageText")
    assert parse_html(edit.text).startswith(f"❌ Task {TASK_ID} failed: content rejected")
    assert keyboard_texts(edit) == []
    assert len(telegram.sent("sendMessage")) == 1
    assert await bot.services.store.count_open() == 0


async def test_refresh_api_error_keeps_message(bot, telegram, task_api):
    reply = await running_message(bot, telegram, task_api)
    task_api.script(*[ScriptedResponse(status=503, body=b"{}", action="retrieve")] * 3)

    await bot.send(press(f"refresh:t:{TASK_ID}", reply))

    assert answers(telegram) == [
        "⚠️ The task API failed on its side. Please try again in a few minutes."
    ]
    assert telegram.sent("editMessageText", ok=None) == []
    assert await bot.services.store.count_open() == 1


async def test_refresh_in_forum_topic(bot, telegram, task_api):
    reply = await running_message(bot, telegram, task_api, chat=FORUM, thread_id=5)
    task_api.set_task(finished_task(TASK_ID))

    await bot.send(press(f"refresh:t:{TASK_ID}", reply))

    [photo] = telegram.sent("sendPhoto")
    assert photo.chat_id == FORUM["id"]
    assert photo.thread_id == 5
    assert await bot.services.store.count_open() == 0


async def test_stop_watching_keeps_refresh(bot, telegram, task_api):
    reply = await running_message(bot, telegram, task_api)

    await bot.send(press(f"unwatch:t:{TASK_ID}", reply))
    [markup_edit] = telegram.sent("editMessageReplyMarkup")
    task_api.set_task(finished_task(TASK_ID))
    await bot.send(press(f"refresh:t:{TASK_ID}", reply))

    assert keyboard_texts(markup_edit) == ["Refresh"]
    assert answers(telegram) == ["Stopped watching 1 task.", "Finished: sending the images."]
    # The watch was removed, so the images were never sent: Refresh sends them.
    assert len(telegram.sent("sendPhoto")) == 1


async def test_stop_watching_on_inaccessible_message(bot, telegram, task_api):
    reply = await running_message(bot, telegram, task_api)
    # Telegram sends an old or deleted message as an InaccessibleMessage: chat, id and date 0.
    inaccessible = {"chat": reply["chat"], "message_id": reply["message_id"], "date": 0}

    await bot.send(press(f"unwatch:t:{TASK_ID}", inaccessible))

    assert await bot.services.store.count_open(ALICE) == 0
    assert answers(telegram) == ["Stopped watching 1 task."]
    [markup_edit] = telegram.sent("editMessageReplyMarkup")
    assert markup_edit.params["message_id"] == reply["message_id"]
    assert keyboard_texts(markup_edit) == ["Refresh"]


async def test_stop_watching_old_press_still_edits(bot, telegram, task_api):
    reply = await running_message(bot, telegram, task_api)
    telegram.add_fault(
        Fault("answerCallbackQuery", 400, "Bad Request: query is too old and response timeout expired")
    )

    await bot.send(press(f"unwatch:t:{TASK_ID}", reply))

    assert await bot.services.store.count_open(ALICE) == 0
    assert telegram.sent("answerCallbackQuery") == []
    [markup_edit] = telegram.sent("editMessageReplyMarkup")
    assert keyboard_texts(markup_edit) == ["Refresh"]


async def test_refresh_running_after_stop_shows_refresh_only(bot, telegram, task_api):
    reply = await running_message(bot, telegram, task_api)
    await bot.send(press(f"unwatch:t:{TASK_ID}", reply))
    older = running_task(TASK_ID)
    older["created_at"] = time.time() - 7200
    task_api.set_task(older)

    await bot.send(press(f"refresh:t:{TASK_ID}", reply))

    [edit] = telegram.sent("editMessageText")
    assert "Watching" not in parse_html(edit.text)
    assert keyboard_texts(edit) == ["Refresh"]


@pytest.mark.bot_settings(user_commands_per_minute=2)
async def test_refresh_presses_count_as_commands(bot, telegram, task_api):
    reply = await running_message(bot, telegram, task_api)
    retrieves_before = len(task_api.calls_of("retrieve"))

    await bot.send(press(f"refresh:t:{TASK_ID}", reply))
    await bot.send(press(f"refresh:t:{TASK_ID}", reply))

    assert len(task_api.calls_of("retrieve")) == retrieves_before + 1
    [first, second] = answers(telegram)
    assert first == "Still running."
    assert second.startswith("⏳ Too many requests. Try again in ")


async def test_refresh_forged_data_calls_no_api(bot, telegram, task_api):
    reply = await running_message(bot, telegram, task_api)
    retrieves_before = len(task_api.calls_of("retrieve"))

    await bot.send(press("refresh:t:not-a-task", reply, from_user=BOB))

    assert answers(telegram) == ["This button is no longer valid."]
    assert len(task_api.calls_of("retrieve")) == retrieves_before


def test_every_button_data_within_limit():
    longest_task_id = "ffffffff-ffff-4fff-bfff-ffffffffffff"
    # Telegram's message ids are 64-bit integers at most.
    largest_message_id = 2**63 - 1
    english = translator("en")
    markups = [
        task_buttons(english, longest_task_id, watched=True),
        task_buttons(english, longest_task_id, watched=False),
        stop_watching_markup(english, STOP_MESSAGE_PREFIX + str(largest_message_id)),
    ]

    data = [
        button.callback_data
        for markup in markups
        for row in markup.inline_keyboard
        for button in row
    ]

    assert len(data) == 4
    for value in data:
        assert len(value.encode()) <= MAX_CALLBACK_DATA_BYTES, value


def test_over_limit_data_raises():
    with pytest.raises(ValueError):
        stop_watching_markup(translator("en"), "unwatch:m:" + "9" * 60)


async def test_refresh_and_poll_together_send_once(bot, telegram, task_api):
    reply = await running_message(bot, telegram, task_api)
    task_api.set_task(finished_task(TASK_ID))

    await asyncio.gather(
        bot.send(press(f"refresh:t:{TASK_ID}", reply)), bot.services.poller.run_cycle()
    )
    await bot.services.poller.run_cycle()

    assert len(telegram.sent("sendPhoto")) == 1
