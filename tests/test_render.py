"""Texts and captions: escaping, ages, batch summaries and album plans."""

from __future__ import annotations

import pytest

from bot.api_errors import (
    ApiConnectionError,
    ApiNotImplementedError,
    ApiTimeoutError,
    InvalidResponseError,
    InvalidTokenError,
    ServerError,
    TaskApiError,
    TooManyRequestsError,
)
from bot.html_text import visible_length
from bot.i18n import translator
from bot.limits import MAX_CAPTION_LENGTH
from bot.render import (
    album_caption,
    api_error_text,
    batch_summary_text,
    format_age,
    full_prompts_text,
    help_text,
    invalid_id_text,
    pending_text,
    plan_albums,
    unsent_images_text,
)
from bot.tasks import Task, TaskImage, TaskState
from tests.fakes.telegram_html import parse_html

ID_1 = "4d320ead-4af4-4a55-8f3e-f2afebdf4fd0"

ENGLISH = translator("en")


def finished_task(task_id: str, image_count: int, prompt: str = "a cat") -> Task:
    images = tuple(TaskImage(f"https://cdn.example/{task_id}/{n}.png") for n in range(image_count))
    return Task(id=task_id, state=TaskState.SUCCEEDED, prompt=prompt, images=images)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(-5, "0 s"), (0, "0 s"), (59, "59 s"), (60, "1 min"), (3599, "59 min"), (3600, "1 h"),
     (3660, "1 h 1 min"), (47 * 3600, "47 h"), (49 * 3600, "2 days")],
)
def test_format_age(seconds, text):
    assert format_age(ENGLISH, seconds) == text


def test_caption_shows_prompt_exactly():
    prompt = "<b>cats & dogs</b> 1<2"

    caption = album_caption([finished_task(ID_1, 1, prompt)])

    assert parse_html(caption) == f"{prompt}\n🆔 {ID_1}"


def test_caption_of_long_prompt_fits_limit():
    caption = album_caption([finished_task(ID_1, 1, "<&>" * 1000)])

    assert visible_length(caption) <= MAX_CAPTION_LENGTH
    assert parse_html(caption).endswith(f"…\n🆔 {ID_1}")


def test_caption_of_ten_tasks_fits_limit():
    tasks = [finished_task(f"{n:08d}-0000-4000-8000-000000000000", 1, "p" * 500) for n in range(10)]

    caption = album_caption(tasks)

    assert visible_length(caption) <= MAX_CAPTION_LENGTH
    for task in tasks:
        assert task.id in caption


@pytest.mark.parametrize(
    ("image_counts", "album_sizes"),
    [([1], [1]), ([4], [4]), ([4, 4, 3], [10, 1]), ([4, 4, 4, 4, 4, 3], [10, 10, 3]), ([], [])],
)
def test_albums_hold_at_most_ten(image_counts, album_sizes):
    tasks = [finished_task(f"task-{n}", count) for n, count in enumerate(image_counts)]

    albums = plan_albums(ENGLISH, tasks)

    assert [len(album.urls) for album in albums] == album_sizes
    all_urls = [url for album in albums for url in album.urls]
    assert all_urls == [image.url for task in tasks for image in task.images]


def test_album_names_its_tasks():
    tasks = [finished_task("task-a", 4), finished_task("task-b", 4), finished_task("task-c", 4)]

    albums = plan_albums(ENGLISH, tasks)

    assert albums[0].task_ids == ("task-a", "task-b", "task-c")
    assert albums[1].task_ids == ("task-c",)
    assert "task-c" in albums[1].caption


def test_pending_text_shows_age():
    task = Task(id=ID_1, state=TaskState.PENDING, prompt="a dog", created_at=1000.0)

    text = parse_html(pending_text(ENGLISH, task, now=1000.0 + 185))

    assert text == f"⏳ Task {ID_1} is still running, started 3 min ago.\nPrompt: a dog"


def test_invalid_id_text_names_value():
    text = parse_html(invalid_id_text(ENGLISH, "<not-an-id>"))

    assert text.startswith("⚠️ <not-an-id> is not a valid task id.")


def test_invalid_id_text_cuts_long_value():
    text = parse_html(invalid_id_text(ENGLISH, "x" * 10_000))

    assert len(text) < 200


def test_batch_summary_counts_each_state():
    tasks = {
        "a": finished_task("a", 2),
        "b": Task(id="b", state=TaskState.PENDING, created_at=0.0),
        "c": Task(id="c", state=TaskState.FAILED, error_message="boom"),
    }

    text = parse_html(batch_summary_text(ENGLISH, ["a", "b", "c", "d"], tasks, ["zzz"], now=120.0))

    assert text.splitlines() == [
        "5 tasks: 1 finished, 1 running, 1 failed, 1 not found, 1 invalid",
        "✅ a finished, 2 images",
        "⏳ b still running, started 2 min ago",
        "❌ c failed: boom",
        "🔍 d not found",
        "⚠️ zzz is not a valid task id",
    ]


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (InvalidTokenError("invalid_token", "bad", 401), "token"),
        (ApiNotImplementedError("api_not_implemented", "no", 400), "is not available"),
        (TooManyRequestsError("too_many_requests", "slow", 429), "too many requests"),
        (ApiTimeoutError("timeout", "slow"), "did not answer in time"),
        (ApiConnectionError("connection_failed", "refused"), "could not reach"),
        (ServerError("api_error", "fetch failed", 500), "failed on its side"),
        (InvalidResponseError("invalid_response", "html", 200), "cannot read"),
        (TaskApiError("bad_request", "ids must be a list", 400), "ids must be a list"),
    ],
)
def test_api_error_text_per_kind(error, words):
    assert words in api_error_text(ENGLISH, error)


def test_api_error_text_hides_trace_and_status():
    text = api_error_text(ENGLISH, ServerError("api_error", "fetch failed", 500, "trace-123"))

    assert "trace-123" not in text
    assert "500" not in text


def test_help_lists_each_command_with_example():
    text = parse_html(help_text(ENGLISH, 50))

    assert f"/task {ID_1}" in text
    assert "/batch 4d320ead" in text
    assert "/help" in text
    assert "up to 50 tasks" in text


def test_full_prompts_only_for_cut_prompts():
    short = finished_task("task-short", 1, "a cat")
    long = finished_task("task-long", 1, "a <dog> & " * 200)

    text = full_prompts_text(ENGLISH, [short, long])

    assert parse_html(text) == f"📝 Full prompt of task task-long:\n{long.prompt}"
    assert "<blockquote expandable>" in text


def test_full_prompts_empty_when_caption_fits():
    assert full_prompts_text(ENGLISH, [finished_task(ID_1, 1, "p" * 900)]) == ""
    assert full_prompts_text(ENGLISH, [finished_task(ID_1, 1, "")]) == ""


def test_plan_albums_keeps_task_of_each_url():
    tasks = [finished_task("task-a", 3), finished_task("task-b", 9, "b" * 1200)]

    first, second = plan_albums(ENGLISH, tasks)

    assert first.url_task_ids == ("task-a",) * 3 + ("task-b",) * 7
    assert second.url_task_ids == ("task-b",) * 2
    assert "task-b" in parse_html(first.full_prompts)
    assert "task-a" not in parse_html(first.full_prompts)


def test_unsent_images_text_links_each_image():
    url = "https://cdn.example/a.png?x=1&y=<2>"

    text = unsent_images_text(ENGLISH, [(url, "task-a", "it is not an image (text/html)")])

    assert '<a href="https://cdn.example/a.png?x=1&amp;y=&lt;2&gt;">' in text
    assert parse_html(text) == (
        "⚠️ This image could not be sent as a photo or a file, so here is its link:\n"
        f"• {url} (task task-a): it is not an image (text/html)."
    )


def test_unsent_images_text_puts_caption_first():
    images = [("https://a/1.png", None, "HTTP 404"), ("https://a/2.png", "t", "HTTP 403")]

    text = parse_html(unsent_images_text(ENGLISH, images, caption="<b>cats</b>"))

    assert text.splitlines() == [
        "cats",
        "",
        "⚠️ 2 images could not be sent as photos or files, so here are their links:",
        "• https://a/1.png: HTTP 404.",
        "• https://a/2.png (task t): HTTP 403.",
    ]
