"""Watch lists end to end: commands, poll cycles, and exactly one notification per watch."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot import storage
from tests.conftest import SAMPLE_IMAGE_PATH
from tests.fakes.telegram_html import parse_html
from tests.fakes.telegram_server import Fault
from tests.fakes.updates import ALICE, BOB, group_chat, message, private_chat, supergroup_chat, user
from tests.harness import started_bot

TASK_ID = "bbbbbbbb-0000-4000-8000-000000000001"
OTHER_ID = "bbbbbbbb-0000-4000-8000-000000000002"
SAMPLE_IMAGE_URL = f"https://platform.cdn.acedata.cloud/{SAMPLE_IMAGE_PATH}"
FORUM = supergroup_chat(-1005555555555, forum=True)
GROUP = group_chat(-4001)


def running_task(task_id: str, prompt: str = "a slow cat") -> dict:
    return {
        "id": task_id,
        "created_at": time.time() - 30,
        "request": {"action": "generate", "prompt": prompt},
        "response": {"task_id": task_id},
    }


def finished_task(task_id: str, prompt: str = "a slow cat", images: int = 1) -> dict:
    task = running_task(task_id, prompt)
    task["response"] = {
        "success": True,
        "task_id": task_id,
        "data": [{"prompt": prompt, "image_url": SAMPLE_IMAGE_URL}] * images,
    }
    return task


def failed_task(task_id: str, reason: str = "content rejected") -> dict:
    task = running_task(task_id)
    task["response"] = {"success": False, "error": {"code": "forbidden", "message": reason}}
    return task


def photos_to(telegram, chat_id: int) -> list:
    return telegram.sent("sendPhoto", "sendMediaGroup", chat_id=chat_id)


def texts_to(telegram, chat_id: int) -> list[str]:
    return [parse_html(call.text) for call in telegram.sent("sendMessage", chat_id=chat_id)]


async def test_task_command_watches_running_task(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))

    await bot.command(f"/task {TASK_ID}", message_id=31)

    [reply] = telegram.sent("sendMessage")
    text = parse_html(reply.text)
    assert text.startswith(f"⏳ Task {TASK_ID} is still running")
    assert text.endswith(f"👀 Watching task {TASK_ID}: its images will be sent here when it finishes.")
    [[refresh, stop]] = reply.params["reply_markup"]["inline_keyboard"]
    assert refresh == {"text": "Refresh", "callback_data": f"refresh:t:{TASK_ID}"}
    assert stop == {"text": "Stop watching", "callback_data": f"unwatch:t:{TASK_ID}"}
    [watch] = await bot.services.store.open_watches_of_chat(ALICE)
    assert watch.task_id == TASK_ID
    assert watch.added_by == ALICE
    assert watch.source_message_id == 31


async def test_finished_task_notified_once(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    await bot.command(f"/task {TASK_ID}", message_id=32)
    await bot.services.poller.run_cycle()
    assert photos_to(telegram, ALICE) == []

    task_api.set_task(finished_task(TASK_ID))
    await bot.services.poller.run_cycle()
    await bot.services.poller.run_cycle()

    [photo] = photos_to(telegram, ALICE)
    assert photo.params["photo"] == SAMPLE_IMAGE_URL
    assert photo.params["reply_parameters"]["message_id"] == 32
    assert TASK_ID in parse_html(photo.caption)
    assert await bot.services.store.count_open() == 0


async def test_failed_task_notified_with_reason(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    await bot.command(f"/watch {TASK_ID}")
    task_api.set_task(failed_task(TASK_ID, "the safety filter rejected the prompt"))

    await bot.services.poller.run_cycle()
    await bot.services.poller.run_cycle()

    failures = [text for text in texts_to(telegram, ALICE) if text.startswith("❌")]
    assert failures == [
        f"❌ Task {TASK_ID} failed: the safety filter rejected the prompt (forbidden)\nPrompt: a slow cat"
    ]


async def test_notification_goes_to_topic(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    await bot.command(f"/watch {TASK_ID}", chat=FORUM, thread_id=77)
    task_api.set_task(finished_task(TASK_ID))

    await bot.services.poller.run_cycle()

    [photo] = photos_to(telegram, FORUM["id"])
    assert photo.thread_id == 77


async def test_watch_finished_task_delivered_at_once(bot, telegram, task_api):
    task_api.set_task(finished_task(TASK_ID, images=2))

    await bot.command(f"/watch {TASK_ID}")
    [album] = await telegram.wait_for_calls("sendMediaGroup")

    assert album.chat_id == ALICE
    assert len(album.params["media"]) == 2
    [reply] = texts_to(telegram, ALICE)
    assert reply.startswith("👀 Now watching 1 task")
    # The reply comes before any lookup, so it must also fit a task that is already done.
    assert reply.splitlines()[0].endswith("at once if it already is.")


async def test_two_chats_one_task_each_once(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    await bot.command(f"/watch {TASK_ID}", chat=GROUP)
    await bot.command(f"/watch {TASK_ID}", chat=private_chat(BOB), from_user=BOB)
    task_api.set_task(finished_task(TASK_ID))

    await bot.services.poller.run_cycle()
    await bot.services.poller.run_cycle()

    assert len(photos_to(telegram, GROUP["id"])) == 1
    assert len(photos_to(telegram, BOB)) == 1


async def test_same_update_twice_one_watch(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    repeated = {"message": message(f"/watch {TASK_ID}", chat=GROUP, message_id=500)}

    await bot.send(dict(repeated))
    await bot.send(dict(repeated))
    task_api.set_task(finished_task(TASK_ID))
    await bot.services.poller.run_cycle()

    assert await bot.services.store.count_open() == 0
    assert len(photos_to(telegram, GROUP["id"])) == 1
    replies = texts_to(telegram, GROUP["id"])
    assert replies[1].startswith("Already watched here: 1 task.")


async def test_finished_task_shown_closes_watch(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    await bot.command(f"/task {TASK_ID}")
    task_api.set_task(finished_task(TASK_ID))

    await bot.command(f"/task {TASK_ID}")
    await bot.services.poller.run_cycle()

    assert len(photos_to(telegram, ALICE)) == 1


async def test_batch_watches_running_tasks(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    task_api.set_task(running_task(OTHER_ID))
    done = task_api.add_sample("task-succeeded.json")

    await bot.command(f"/batch {TASK_ID} {done} {OTHER_ID}", message_id=90)

    [summary] = telegram.sent("sendMessage")
    assert parse_html(summary.text).endswith(
        "👀 Watching 2 running tasks: their images will be sent here when each finishes."
    )
    [[button]] = summary.params["reply_markup"]["inline_keyboard"]
    assert button["callback_data"] == "unwatch:m:90"
    watched = [watch.task_id for watch in await bot.services.store.open_watches_of_chat(ALICE)]
    assert watched == [TASK_ID, OTHER_ID]


async def test_stop_watching_button(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    task_api.set_task(running_task(OTHER_ID))
    await bot.command(f"/batch {TASK_ID} {OTHER_ID}", message_id=91)
    [summary] = telegram.sent("sendMessage")

    await bot.send(
        {
            "callback_query": {
                "id": "press-1",
                "from": user(ALICE),
                "chat_instance": "instance",
                "data": "unwatch:m:91",
                "message": summary.result,
            }
        }
    )

    assert await bot.services.store.count_open(ALICE) == 0
    [answer] = telegram.sent("answerCallbackQuery")
    assert answer.params["text"] == "Stopped watching 2 tasks."
    [edit] = telegram.sent("editMessageReplyMarkup")
    assert edit.params["message_id"] == summary.result["message_id"]


async def test_unwatch_some_and_all(bot, telegram, task_api):
    third = "bbbbbbbb-0000-4000-8000-000000000003"
    telegram.chat_admins[GROUP["id"]] = {ALICE}
    await bot.command(f"/watch {TASK_ID} {OTHER_ID} {third}", chat=GROUP)

    await bot.command(f"/unwatch {TASK_ID} cccccccc-0000-4000-8000-000000000009", chat=GROUP)
    await bot.command("/unwatch all", chat=GROUP)
    await bot.command("/unwatch all", chat=GROUP)

    replies = texts_to(telegram, GROUP["id"])
    assert replies[1] == (
        f"Stopped watching 1 task.\n• {TASK_ID}\nNot watched in this chat: 1 task.\n"
        "• cccccccc-0000-4000-8000-000000000009"
    )
    assert replies[2] == "Stopped watching all 2 tasks of this chat."
    assert replies[3] == "This chat watches no tasks."


async def test_watch_invalid_id_adds_nothing(bot, telegram, task_api):
    await bot.command(f"/watch {TASK_ID} not-an-id")

    [reply] = texts_to(telegram, ALICE)
    assert reply.startswith("⚠️ not-an-id is not a valid task id.")
    assert reply.endswith("Nothing was added. Fix the ids and send /watch again.")
    assert await bot.services.store.count_open() == 0


@pytest.mark.bot_settings(watch_limit_per_chat=3)
async def test_cap_reached_names_left_out(bot, telegram, task_api):
    ids = [f"bbbbbbbb-0000-4000-8000-00000000010{n}" for n in range(5)]

    await bot.command("/watch " + " ".join(ids), chat=GROUP)

    [reply] = texts_to(telegram, GROUP["id"])
    assert "⚠️ 2 tasks not added, because this chat already watches the maximum number of tasks (3)." in reply
    assert reply.endswith(f"• {ids[3]}\n• {ids[4]}")
    assert await bot.services.store.count_open(GROUP["id"]) == 3


@pytest.mark.bot_settings(watch_limit_per_chat=300)
async def test_long_watch_list_split(bot, telegram, task_api):
    ids = [f"bbbbbbbb-0000-4000-8000-{n:012d}" for n in range(120)]
    for task_id in ids:
        task_api.set_task(running_task(task_id))
    for start in range(0, 120, 50):
        await bot.command("/watch " + " ".join(ids[start : start + 50]), chat=GROUP)

    await bot.command("/watches", chat=GROUP)

    listing = telegram.sent("sendMessage", chat_id=GROUP["id"])[3:]
    assert len(listing) >= 2
    text = "\n".join(parse_html(call.text) for call in listing)
    assert text.startswith("Watched tasks: 120 of at most 300")
    for task_id in ids:
        assert task_id in text
    assert all(len(parse_html(call.text)) <= 4096 for call in listing)


async def test_watches_empty_list(bot, telegram):
    await bot.command("/watches")

    assert texts_to(telegram, ALICE) == [
        "This chat watches no tasks. Add one with /watch followed by a task id."
    ]


async def test_restart_between_watch_and_finish(telegram, task_api, tmp_path):
    database = tmp_path / "bot.sqlite3"
    task_api.set_task(running_task(TASK_ID))
    async with started_bot(telegram, task_api, database_path=database) as first:
        await first.command(f"/watch {TASK_ID}", chat=GROUP)

    task_api.set_task(finished_task(TASK_ID))
    async with started_bot(telegram, task_api, database_path=database) as second:
        await second.services.poller.run_cycle()
        await second.services.poller.run_cycle()

    async with started_bot(telegram, task_api, database_path=database) as third:
        await third.services.poller.run_cycle()

    assert len(photos_to(telegram, GROUP["id"])) == 1


async def test_poll_job_runs_by_itself(telegram, task_api, tmp_path):
    task_api.set_task(running_task(TASK_ID))
    async with started_bot(
        telegram, task_api, database_path=tmp_path / "db", poll_interval_seconds=0.05
    ) as bot:
        await bot.command(f"/watch {TASK_ID}")
        task_api.set_task(finished_task(TASK_ID))
        await telegram.wait_for_calls("sendPhoto")
        await bot.services.poller.wait_for_cycles(3)

    assert len(photos_to(telegram, ALICE)) == 1


@pytest.mark.bot_settings(api_chunk_size=50)
async def test_two_hundred_watches_one_cycle(bot, telegram, task_api):
    chats = [private_chat(10_000 + n) for n in range(10)] + [group_chat(-5000 - n) for n in range(10)]
    ids = [f"dddddddd-0000-4000-8000-{n:012d}" for n in range(200)]
    for task_id in ids:
        task_api.set_task(running_task(task_id))
    for position, chat in enumerate(chats):
        chat_ids = ids[position * 10 : position * 10 + 10]
        await bot.command("/watch " + " ".join(chat_ids), chat=chat, from_user=abs(chat["id"]))
    for task_id in ids:
        task_api.set_task(finished_task(task_id))
    task_api.calls.clear()

    await bot.services.poller.run_cycle()
    await bot.services.poller.run_cycle()

    # The second cycle finds no open watch, so it makes no call.
    assert len(task_api.calls_of("retrieve_batch")) == 4
    notified = [call for chat in chats for call in photos_to(telegram, chat["id"])]
    assert len(notified) == 200
    captions = [parse_html(call.caption) for call in notified]
    assert sorted(caption.rsplit(" ", 1)[-1] for caption in captions) == ids
    assert await bot.services.store.count_open() == 0


async def test_blocked_chat_dropped_others_served(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    await bot.command(f"/watch {TASK_ID} {OTHER_ID}", chat=private_chat(BOB), from_user=BOB)
    await bot.command(f"/watch {TASK_ID}", chat=GROUP)
    telegram.blocked_chats.add(BOB)
    task_api.set_task(finished_task(TASK_ID))

    await bot.services.poller.run_cycle()

    assert len(photos_to(telegram, GROUP["id"])) == 1
    assert await bot.services.store.count_open(BOB) == 0
    assert photos_to(telegram, BOB) == []


async def test_removed_bot_drops_watches(bot, telegram, task_api):
    await bot.command(f"/watch {TASK_ID}", chat=GROUP)

    await bot.send(
        {
            "my_chat_member": {
                "chat": GROUP,
                "from": user(ALICE),
                "date": int(time.time()),
                "old_chat_member": {"status": "member", "user": user(123456789)},
                "new_chat_member": {"status": "left", "user": user(123456789)},
            }
        }
    )

    assert await bot.services.store.count_open(GROUP["id"]) == 0


async def test_migration_message_moves_watches(bot, telegram, task_api):
    new_id = -1007777777777
    task_api.set_task(running_task(TASK_ID))
    await bot.command(f"/watch {TASK_ID}", chat=GROUP)

    await bot.send({"message": {**message("", chat=GROUP), "text": None, "migrate_to_chat_id": new_id}})
    task_api.set_task(finished_task(TASK_ID))
    await bot.services.poller.run_cycle()

    assert photos_to(telegram, GROUP["id"]) == []
    assert len(photos_to(telegram, new_id)) == 1


async def test_migrated_error_moves_and_delivers(bot, telegram, task_api):
    new_id = -1008888888888
    task_api.set_task(running_task(TASK_ID))
    await bot.command(f"/watch {TASK_ID} {OTHER_ID}", chat=GROUP)
    telegram.migrated_chats[GROUP["id"]] = new_id
    task_api.set_task(finished_task(TASK_ID))

    await bot.services.poller.run_cycle()

    assert len(photos_to(telegram, new_id)) == 1
    watches = await bot.services.store.open_watches_of_chat(new_id)
    assert [watch.task_id for watch in watches] == [OTHER_ID]
    assert await bot.services.store.count_open(GROUP["id"]) == 0


async def test_expired_watch_dropped_with_message(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    await bot.services.store.add_watches(
        GROUP["id"], None, [TASK_ID], added_by=ALICE, now=time.time() - 25 * 3600, limit=100
    )

    await bot.services.poller.run_cycle()
    await bot.services.poller.run_cycle()

    assert texts_to(telegram, GROUP["id"]) == [
        f"⌛ Stopped watching task {TASK_ID}: it did not finish within 24 h. "
        f"Send /task {TASK_ID} to check it again."
    ]
    assert await bot.services.store.count_open() == 0


async def test_missing_task_not_found_after_misses(bot, telegram, task_api):
    # /watch runs the first cycle itself: that is the first miss.
    await bot.command(f"/watch {TASK_ID}", chat=GROUP)

    await bot.services.poller.run_cycle()
    assert texts_to(telegram, GROUP["id"])[1:] == []
    await bot.services.poller.run_cycle()
    await bot.services.poller.run_cycle()

    assert texts_to(telegram, GROUP["id"])[1:] == [
        f"🔍 Stopped watching task {TASK_ID}: the API did not return it in 3 polls in a row. "
        f"Check the id with /task {TASK_ID}."
    ]
    [watch] = [w async for w in _all_watches(bot)]
    assert watch.state == storage.NOT_FOUND


async def test_task_back_in_reply_resets_misses(bot, telegram, task_api):
    await bot.command(f"/watch {TASK_ID}", chat=GROUP)
    await bot.services.poller.run_cycle()

    task_api.set_task(running_task(TASK_ID))
    await bot.services.poller.run_cycle()
    del task_api.tasks[TASK_ID]
    await bot.services.poller.run_cycle()
    await bot.services.poller.run_cycle()

    assert texts_to(telegram, GROUP["id"])[1:] == []
    [watch] = await bot.services.store.open_watches_of_chat(GROUP["id"])
    assert watch.misses == 2


async def test_failing_chat_does_not_stop_others(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    await bot.command(f"/watch {TASK_ID}", chat=GROUP)
    await bot.command(f"/watch {TASK_ID}", chat=private_chat(BOB), from_user=BOB)
    telegram.add_fault(
        Fault("sendPhoto", 400, "Bad Request: chat not found", chat_id=GROUP["id"], times=10)
    )
    task_api.set_task(finished_task(TASK_ID))

    await bot.services.poller.run_cycle()

    assert len(photos_to(telegram, BOB)) == 1
    [watch] = await bot.services.store.open_watches_of_chat(GROUP["id"])
    assert watch.failed_deliveries == 1


async def test_undeliverable_given_up_after_three_tries(bot, telegram, task_api):
    task_api.set_task(running_task(TASK_ID))
    await bot.command(f"/watch {TASK_ID}", chat=GROUP)
    telegram.add_fault(
        Fault("sendPhoto", 400, "Bad Request: chat not found", chat_id=GROUP["id"], times=10)
    )
    task_api.set_task(finished_task(TASK_ID))

    for _ in range(4):
        await bot.services.poller.run_cycle()

    failed = telegram.sent("sendPhoto", chat_id=GROUP["id"], ok=False)
    assert len(failed) == 3
    assert await bot.services.store.count_open() == 0


async def test_api_failure_keeps_watches(bot, telegram, task_api):
    from tests.fakes.task_api import ScriptedResponse

    task_api.set_task(running_task(TASK_ID))
    await bot.command(f"/watch {TASK_ID}", chat=GROUP)
    task_api.set_task(finished_task(TASK_ID))
    task_api.script(*[ScriptedResponse(status=500, body=b"{}")] * 3)

    await bot.services.poller.run_cycle()
    assert photos_to(telegram, GROUP["id"]) == []
    assert bot.services.poller.stats.last_error is not None
    assert bot.services.poller.paused

    # Any call that works again, here a user's /task, ends the pause.
    await bot.command(f"/task {TASK_ID}", chat=private_chat(BOB), from_user=BOB)
    await bot.services.poller.run_cycle()

    assert len(photos_to(telegram, GROUP["id"])) == 1
    assert bot.services.poller.stats.last_error is None


async def _all_watches(bot):
    for watch_id in range(1, 10):
        watch = await bot.services.store.get_watch(watch_id)
        if watch is not None:
            yield watch


async def test_first_poll_runs_at_start(telegram, task_api, tmp_path):
    database = tmp_path / "bot.sqlite3"
    task_api.set_task(running_task(TASK_ID))
    async with started_bot(telegram, task_api, database_path=database) as first:
        await first.command(f"/watch {TASK_ID}", chat=GROUP)
    task_api.set_task(finished_task(TASK_ID))

    # The poll interval is an hour, so only the cycle at start can deliver the task.
    async with started_bot(telegram, task_api, database_path=database, poll_interval_seconds=3600):
        [photo] = await telegram.wait_for_calls("sendPhoto", chat_id=GROUP["id"])

    assert TASK_ID in photo.caption


async def test_concurrent_watch_commands_all_stored(bot, telegram, task_api):
    chats = [group_chat(-8000 - n) for n in range(10)] + [private_chat(8000 + n) for n in range(10)]
    update_ids = []
    for position, chat in enumerate(chats):
        ids = [f"ffffffff-0000-4000-8000-{position:06d}{n:06d}" for n in range(5)]
        for task_id in ids:
            task_api.set_task(running_task(task_id))
        text = "/watch " + " ".join(ids)
        update = {"message": message(text, chat=chat, from_user=9000 + position)}
        update_ids.append(await telegram.push_update(update))

    async with asyncio.timeout(20):
        for update_id in update_ids:
            await bot.processor.handled[update_id].wait()
    await bot.services.poller.wait_for_requested()

    assert await bot.services.store.count_open() == 100
    for chat in chats:
        [reply] = texts_to(telegram, chat["id"])
        assert reply.startswith("👀 Now watching 5 tasks")
