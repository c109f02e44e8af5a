"""/batch end to end: one API call, a summary line per id, then the images."""

from __future__ import annotations

import pytest

from tests.fakes.images import png_bytes
from tests.fakes.task_api import SAMPLES_DIR, ScriptedResponse
from tests.fakes.telegram_html import parse_html
from tests.fakes.updates import ALICE, supergroup_chat
from tests.test_task_command import SAMPLE_IMAGE_URL, task_payload

SUCCEEDED_ID = "4d320ead-4af4-4a55-8f3e-f2afebdf4fd0"
UNKNOWN_ID = "11111111-2222-4333-8444-555555555555"


def make_id(number: int) -> str:
    return f"{number:08x}-0000-4000-8000-000000000000"


@pytest.fixture
def samples(task_api) -> dict[str, str]:
    names = [
        "task-succeeded.json",
        "task-failed.json",
        "task-pending-no-response.json",
        "task-succeeded-without-success-flag.json",
    ]
    return {name: task_api.add_sample(name) for name in names}


async def test_summary_then_images(bot, telegram, task_api, samples):
    ids = list(samples.values())

    await bot.command("/batch " + " ".join([*ids, UNKNOWN_ID]))

    [summary] = telegram.sent("sendMessage")
    lines = parse_html(summary.text).splitlines()
    assert lines[0] == "5 tasks: 2 finished, 1 running, 1 failed, 1 not found"
    assert lines[1] == f"✅ {ids[0]} finished, 1 image"
    assert lines[2] == f"❌ {ids[1]} failed: generation failed (api_error)"
    assert lines[3].startswith(f"⏳ {ids[2]} still running, started ")
    assert lines[4] == f"✅ {ids[3]} finished, 1 image"
    assert lines[5] == f"🔍 {UNKNOWN_ID} not found"

    [album] = telegram.sent("sendMediaGroup")
    assert [item["media"] for item in album.params["media"]] == [SAMPLE_IMAGE_URL] * 2
    caption = parse_html(album.params["media"][0]["caption"])
    assert ids[0] in caption
    assert ids[3] in caption
    assert summary.at < album.at


async def test_one_api_call_for_fifty_ids(bot, telegram, task_api):
    ids = [make_id(n) for n in range(50)]

    await bot.command("/batch " + " ".join(ids))

    [call] = task_api.calls
    assert call.action == "retrieve_batch"
    assert call.ids == ids
    summary = "\n".join(parse_html(c.text) for c in telegram.sent("sendMessage"))
    assert summary.startswith("50 tasks: 0 finished, 0 running, 0 failed, 50 not found")


async def test_separators_duplicates_and_order(bot, telegram, task_api, samples):
    first, second = samples["task-failed.json"], samples["task-succeeded.json"]

    await bot.command(f"/batch {first},{second}\n{first.upper()};  {second}")

    [call] = task_api.calls
    assert call.ids == [first, second]
    lines = parse_html(telegram.sent("sendMessage")[0].text).splitlines()
    assert lines[0].startswith("2 tasks:")
    assert first in lines[1]
    assert second in lines[2]


async def test_over_limit_refused_with_count(bot, telegram, task_api):
    ids = [make_id(n) for n in range(51)]

    await bot.command("/batch " + " ".join(ids))

    [message] = telegram.sent("sendMessage")
    assert parse_html(message.text) == (
        "⚠️ This /batch has 51 different task ids, and one /batch takes at most 50. "
        "Split them over several /batch messages."
    )
    assert task_api.calls == []


@pytest.mark.bot_settings(batch_max_ids=3)
async def test_limit_follows_setting(bot, telegram, task_api):
    await bot.command("/batch " + " ".join(make_id(n) for n in range(4)))

    assert "takes at most 3" in parse_html(telegram.sent("sendMessage")[0].text)
    assert task_api.calls == []


async def test_invalid_ids_listed_valid_ones_looked_up(bot, telegram, task_api, samples):
    task_id = samples["task-succeeded.json"]

    await bot.command(f"/batch nope {task_id} 123")

    [call] = task_api.calls
    assert call.ids == [task_id]
    lines = parse_html(telegram.sent("sendMessage")[0].text).splitlines()
    assert lines[0] == "3 tasks: 1 finished, 0 running, 0 failed, 2 invalid"
    assert lines[-2:] == ["⚠️ nope is not a valid task id", "⚠️ 123 is not a valid task id"]


async def test_only_invalid_ids_no_api_call(bot, telegram, task_api):
    await bot.command("/batch nope")

    assert task_api.calls == []
    assert "nope is not a valid task id" in parse_html(telegram.sent("sendMessage")[0].text)


async def test_empty_batch_gets_usage(bot, telegram, task_api):
    await bot.command("/batch")

    assert parse_html(telegram.sent("sendMessage")[0].text).startswith("Send /batch followed by")
    assert task_api.calls == []


async def test_vendor_batch_sample_served_verbatim(bot, telegram, task_api):
    body = (SAMPLES_DIR / "batch-one-succeeded.json").read_bytes()
    task_api.script(ScriptedResponse(body=body))

    await bot.command(f"/batch {SUCCEEDED_ID} {UNKNOWN_ID}")

    lines = parse_html(telegram.sent("sendMessage")[0].text).splitlines()
    assert lines[1] == f"✅ {SUCCEEDED_ID} finished, 1 image"
    assert lines[2] == f"🔍 {UNKNOWN_ID} not found"
    [photo] = telegram.sent("sendPhoto")
    assert photo.params["photo"] == SAMPLE_IMAGE_URL


async def test_api_error_explained(bot, telegram, task_api):
    body = (SAMPLES_DIR / "error-api-error.json").read_bytes()
    task_api.script(*[ScriptedResponse(status=500, body=body)] * 3)

    await bot.command(f"/batch {SUCCEEDED_ID} {UNKNOWN_ID}")

    [message] = telegram.sent("sendMessage")
    assert "failed on its side" in parse_html(message.text)
    assert telegram.sent("sendPhoto", "sendMediaGroup") == []


async def test_images_packed_in_albums_of_ten(bot, telegram, task_api):
    url = task_api.add_image("img/one.png", png_bytes())
    ids = []
    for number, count in enumerate([4, 4, 4, 4, 4, 3]):
        ids.append(task_api.set_task(task_payload(make_id(number), [url] * count)))

    await bot.command("/batch " + " ".join(ids))

    albums = telegram.sent("sendMediaGroup")
    assert [len(album.params["media"]) for album in albums] == [10, 10, 3]
    for album in albums:
        media = album.params["media"]
        assert "caption" in media[0]
        assert all("caption" not in item for item in media[1:])


async def test_long_summary_split_under_limit(bot, telegram, task_api):
    long_reason = "x" * 110
    ids = []
    for number in range(50):
        payload = task_payload(make_id(number), [])
        payload["response"] = {"success": False, "error": {"code": "e", "message": long_reason}}
        ids.append(task_api.set_task(payload))

    await bot.command("/batch " + " ".join(ids))

    messages = telegram.sent("sendMessage")
    assert len(messages) >= 2
    text = "\n".join(parse_html(message.text) for message in messages)
    for task_id in ids:
        assert task_id in text
    assert messages[0].params["reply_parameters"]["message_id"] > 0
    assert "reply_parameters" not in messages[1].params


async def test_batch_in_forum_topic(bot, telegram, task_api, samples):
    forum = supergroup_chat(-1009876543210, forum=True)

    await bot.command(
        "/batch@NanoBananaTestBot " + " ".join(samples.values()), chat=forum, thread_id=7
    )

    sent = telegram.sent("sendMessage", "sendMediaGroup", "sendPhoto")
    assert len(sent) == 2
    assert {call.thread_id for call in sent} == {7}
    assert {call.chat_id for call in sent} == {-1009876543210}
    assert telegram.sent("sendMessage", chat_id=ALICE) == []
