"""/task end to end: the real bot against the fake Bot API server and the fake task API."""

from __future__ import annotations

import json
import logging

import pytest

from bot.deliver import CHAT_ACTION_DELAY_SECONDS
from tests.conftest import SAMPLE_IMAGE_PATH
from tests.fakes.images import jpeg_bytes, png_bytes
from tests.fakes.task_api import SAMPLES_DIR, ScriptedResponse
from tests.fakes.telegram_html import parse_html
from tests.fakes.updates import ALICE, group_chat, supergroup_chat
from tests.fakes.loopback import closed_port
from tests.harness import started_bot

SUCCEEDED_ID = "4d320ead-4af4-4a55-8f3e-f2afebdf4fd0"
UNKNOWN_ID = "11111111-2222-4333-8444-555555555555"
SAMPLE_IMAGE_URL = f"https://platform.cdn.acedata.cloud/{SAMPLE_IMAGE_PATH}"
# A task API this slow keeps a command busy past the delay before its chat action.
SLOW_API_SECONDS = CHAT_ACTION_DELAY_SECONDS + 0.3


def task_payload(task_id: str, image_urls: list[str], prompt: str = "three cats") -> dict:
    return {
        "id": task_id,
        "created_at": 1757183036.787,
        "request": {"action": "generate", "prompt": prompt, "count": len(image_urls)},
        "response": {
            "success": True,
            "task_id": task_id,
            "data": [{"prompt": prompt, "image_url": url} for url in image_urls],
        },
        "type": "images",
    }


def texts_to(telegram, chat_id: int) -> list[str]:
    return [parse_html(call.text) for call in telegram.sent("sendMessage", chat_id=chat_id)]


async def test_succeeded_sample_sent_as_photo(bot, telegram, task_api):
    task_api.add_sample("task-succeeded.json")

    await bot.command(f"/task {SUCCEEDED_ID}", message_id=77)

    [photo] = telegram.sent("sendPhoto")
    assert photo.chat_id == ALICE
    assert photo.params["photo"] == SAMPLE_IMAGE_URL
    assert parse_html(photo.caption) == f"a white siamese cat\n🆔 {SUCCEEDED_ID}"
    assert photo.params["reply_parameters"]["message_id"] == 77
    assert photo.fetches[0].ok
    assert task_api.image_requests == [SAMPLE_IMAGE_PATH]
    assert telegram.sent("sendMessage") == []


async def test_success_without_flag_sent_as_photo(bot, telegram, task_api):
    task_id = task_api.add_sample("task-succeeded-without-success-flag.json")

    await bot.command(f"/task {task_id}")

    [photo] = telegram.sent("sendPhoto")
    assert photo.params["photo"] == SAMPLE_IMAGE_URL
    assert task_id in parse_html(photo.caption)


async def test_several_images_sent_as_album(bot, telegram, task_api):
    urls = [task_api.add_image(f"img/{n}.png", png_bytes(color=(n * 60, 0, 0))) for n in range(3)]
    urls.append(task_api.add_image("img/3.jpeg", jpeg_bytes(), content_type="image/jpeg"))
    task_id = task_api.set_task(task_payload("aaaaaaaa-0000-4000-8000-000000000001", urls))

    await bot.command(f"/task {task_id}")

    [album] = telegram.sent("sendMediaGroup")
    media = album.params["media"]
    assert [item["media"] for item in media] == urls
    assert [item["type"] for item in media] == ["photo"] * 4
    assert parse_html(media[0]["caption"]) == f"three cats\n🆔 {task_id}"
    assert all("caption" not in item for item in media[1:])
    assert len(album.result) == 4


async def test_prompt_shown_exactly_as_typed(bot, telegram, task_api):
    prompt = "<b>cats & dogs</b> 1<2"
    task_id = task_api.set_task(
        task_payload("aaaaaaaa-0000-4000-8000-000000000002", [SAMPLE_IMAGE_URL], prompt)
    )

    await bot.command(f"/task {task_id}")

    [photo] = telegram.sent("sendPhoto")
    assert photo.result["caption"] == f"{prompt}\n🆔 {task_id}"


@pytest.mark.parametrize("sample", ["task-pending-empty-response.json", "task-pending-no-response.json"])
async def test_pending_sample_says_still_running(bot, telegram, task_api, sample):
    task_id = task_api.add_sample(sample)

    await bot.command(f"/task {task_id}")

    [text] = texts_to(telegram, ALICE)
    assert text.startswith(f"⏳ Task {task_id} is still running, started ")
    assert " ago." in text
    assert "Prompt: a lighthouse at dusk" in text
    assert telegram.sent("sendPhoto", "sendMediaGroup") == []


@pytest.mark.parametrize(
    ("sample", "reason"),
    [
        ("task-failed.json", "generation failed (api_error)"),
        ("task-failed-error-only.json", "Provider rejected the task"),
    ],
)
async def test_failed_sample_gives_reason(bot, telegram, task_api, sample, reason):
    task_id = task_api.add_sample(sample)

    await bot.command(f"/task {task_id}")

    [text] = texts_to(telegram, ALICE)
    assert text.splitlines()[0] == f"❌ Task {task_id} failed: {reason}"


@pytest.mark.parametrize("style", ["error-404", "empty-object", "null", "error-400"])
async def test_unknown_id_not_found(bot, telegram, task_api, style):
    task_api.not_found = style

    await bot.command(f"/task {UNKNOWN_ID}")

    [text] = texts_to(telegram, ALICE)
    assert text.startswith(f"🔍 Task {UNKNOWN_ID} was not found.")


async def test_malformed_id_named_without_api_call(bot, telegram, task_api):
    await bot.command("/task 4d320ead-nope")

    [text] = texts_to(telegram, ALICE)
    assert text.startswith("⚠️ 4d320ead-nope is not a valid task id.")
    assert task_api.calls == []


async def test_missing_id_gets_usage(bot, telegram, task_api):
    await bot.command("/task")

    [text] = texts_to(telegram, ALICE)
    assert text.startswith("Send /task followed by a task id, for example:")
    assert task_api.calls == []


async def test_two_ids_point_to_batch(bot, telegram, task_api):
    await bot.command(f"/task {SUCCEEDED_ID} {UNKNOWN_ID}")

    [text] = texts_to(telegram, ALICE)
    assert "this message has 2" in text
    assert "/batch" in text
    assert task_api.calls == []


async def test_id_and_word_names_word(bot, telegram, task_api):
    await bot.command(f"/task {SUCCEEDED_ID} please")

    [text] = texts_to(telegram, ALICE)
    assert text.startswith("⚠️ please is not a valid task id.")
    assert "/batch" not in text
    assert task_api.calls == []


async def test_chat_action_sending_photo(bot, telegram, task_api):
    task_api.add_sample("task-succeeded.json")
    task_api.latency = SLOW_API_SECONDS

    update_id = await bot.command(f"/task {SUCCEEDED_ID}")

    [action] = telegram.sent("sendChatAction")
    [photo] = telegram.sent("sendPhoto")
    assert action.chat_id == ALICE
    assert action.params["action"] == "upload_photo"
    assert action.at <= photo.at
    assert action.at - telegram.update_delivered_at[update_id] >= CHAT_ACTION_DELAY_SECONDS


async def test_fast_reply_sends_no_chat_action(bot, telegram, task_api):
    task_api.add_sample("task-succeeded.json")

    await bot.command(f"/task {SUCCEEDED_ID}")

    assert len(telegram.sent("sendPhoto")) == 1
    assert telegram.sent("sendChatAction", ok=None) == []


async def test_group_command_with_bot_suffix(bot, telegram, task_api):
    task_api.add_sample("task-succeeded.json")
    group = group_chat(-4001)

    await bot.command(f"/task@NanoBananaTestBot {SUCCEEDED_ID}", chat=group)
    await bot.command(f"/task@nanobananatestbot {SUCCEEDED_ID}", chat=group)

    assert len(telegram.sent("sendPhoto", chat_id=-4001)) == 2


async def test_command_for_other_bot_ignored(bot, telegram, task_api):
    task_api.add_sample("task-succeeded.json")

    await bot.command(f"/task@SomeOtherBot {SUCCEEDED_ID}", chat=group_chat(-4001))

    assert telegram.sent("sendPhoto", "sendMessage", "sendChatAction") == []
    assert task_api.calls == []


async def test_forum_topic_reply_in_topic(bot, telegram, task_api):
    task_api.add_sample("task-succeeded.json")
    forum = supergroup_chat(-1009876543210, forum=True)
    task_api.latency = SLOW_API_SECONDS

    await bot.command(f"/task {SUCCEEDED_ID}", chat=forum, thread_id=42)
    await bot.command(f"/task {UNKNOWN_ID}", chat=forum, thread_id=42)

    [photo] = telegram.sent("sendPhoto")
    [text] = telegram.sent("sendMessage")
    [*actions] = telegram.sent("sendChatAction")
    assert photo.thread_id == 42
    assert text.thread_id == 42
    assert {action.thread_id for action in actions} == {42}


@pytest.mark.parametrize(
    ("status", "body", "words", "log_words"),
    [
        (401, {"code": "invalid_token", "message": "invalid token"}, "token", "invalid_token (HTTP 401"),
        (400, {"code": "token_mismatched", "message": "mismatch"}, "token", "token_mismatched (HTTP 400"),
        (400, {"code": "api_not_implemented", "message": "no"}, "is not available", "api_not_implemented"),
        (429, {"code": "too_many_requests", "message": "slow"}, "too many requests", "too_many_requests"),
    ],
)
async def test_api_error_explained_and_logged(bot, telegram, task_api, caplog, status, body, words, log_words):
    payload = {"success": False, "error": body, "trace_id": "trace-abc-123"}
    task_api.script(*[ScriptedResponse(status=status, body=json.dumps(payload).encode())] * 3)
    caplog.set_level(logging.INFO, logger="bot")

    await bot.command(f"/task {UNKNOWN_ID}")

    [text] = texts_to(telegram, ALICE)
    assert words in text
    assert "trace-abc-123" not in text
    [record] = [r for r in caplog.records if r.name == "bot.replies"]
    assert log_words in record.getMessage()
    assert "trace id trace-abc-123" in record.getMessage()
    assert f"chat {ALICE}" in record.getMessage()


async def test_vendor_error_sample_explained(bot, telegram, task_api, caplog):
    body = (SAMPLES_DIR / "error-api-error.json").read_bytes()
    task_api.script(*[ScriptedResponse(status=500, body=body)] * 3)
    caplog.set_level(logging.WARNING, logger="bot")

    await bot.command(f"/task {UNKNOWN_ID}")

    [text] = texts_to(telegram, ALICE)
    assert text == "⚠️ The task API failed on its side. Please try again in a few minutes."
    assert any("2cf86e86-22a4-46e1-ac2f-032c0f2a4e89" in r.getMessage() for r in caplog.records)


async def test_non_json_body_explained(bot, telegram, task_api):
    task_api.script(*[ScriptedResponse(body=b"<html>oops</html>", content_type="text/html")] * 3)

    await bot.command(f"/task {UNKNOWN_ID}")

    [text] = texts_to(telegram, ALICE)
    assert "cannot read" in text


async def test_unreachable_api_explained(telegram, task_api, tmp_path):
    unreachable = f"http://127.0.0.1:{closed_port()}"

    async with started_bot(
        telegram, task_api, acedata_api_base_url=unreachable, database_path=tmp_path / "db"
    ) as bot:
        await bot.command(f"/task {UNKNOWN_ID}")

    [text] = texts_to(telegram, ALICE)
    assert text == "⚠️ The bot could not reach the task API. Please try again in a few minutes."


@pytest.mark.bot_settings(api_timeout_seconds=0.2)
async def test_slow_api_explained(bot, telegram, task_api):
    task_api.script(*[ScriptedResponse(body=b"{}", delay=1)] * 3)

    await bot.command(f"/task {UNKNOWN_ID}")

    [text] = texts_to(telegram, ALICE)
    assert "did not answer in time" in text


async def test_chat_action_never_follows_reply(bot, telegram, task_api):
    task_api.latency = SLOW_API_SECONDS

    await bot.command(f"/task {UNKNOWN_ID}")
    await bot.command(f"/batch {UNKNOWN_ID} nope")

    methods = [call.method for call in telegram.calls if call.method.startswith("send")]
    assert methods == ["sendChatAction", "sendMessage", "sendChatAction", "sendMessage"]
    actions = telegram.sent("sendChatAction")
    replies = telegram.sent("sendMessage")
    assert actions[0].at <= replies[0].at
    assert actions[1].at <= replies[1].at
