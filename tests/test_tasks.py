"""The task model: every sample payload, and the edge cases of the state rules."""

from __future__ import annotations

import json

import pytest

from bot.tasks import TaskState, decide_state, parse_task
from tests.fakes.task_api import SAMPLES_DIR

SAMPLE_IMAGE = "https://platform.cdn.acedata.cloud/nanobanana/7e7bd000-698a-4e14-bb2d-3db61237e4bb.png"


def load_sample(name: str) -> object:
    return json.loads((SAMPLES_DIR / name).read_text())


@pytest.mark.parametrize(
    ("sample", "state", "image_count", "reason"),
    [
        ("task-succeeded.json", TaskState.SUCCEEDED, 1, None),
        ("task-succeeded-without-success-flag.json", TaskState.SUCCEEDED, 1, None),
        ("task-failed.json", TaskState.FAILED, 0, "generation failed"),
        ("task-failed-error-only.json", TaskState.FAILED, 0, "Provider rejected the task"),
        ("task-pending-empty-response.json", TaskState.PENDING, 0, None),
        ("task-pending-no-response.json", TaskState.PENDING, 0, None),
    ],
)
def test_sample_parses_to_state(sample, state, image_count, reason):
    task = parse_task(load_sample(sample))

    assert task is not None
    assert task.state is state
    assert len(task.images) == image_count
    assert task.error_message == reason
    assert task.created_at == 1757183036.787


def test_batch_sample_items_parse():
    batch = load_sample("batch-one-succeeded.json")

    tasks = [parse_task(item) for item in batch["items"]]

    assert [task.id for task in tasks] == ["4d320ead-4af4-4a55-8f3e-f2afebdf4fd0"]
    assert tasks[0].state is TaskState.SUCCEEDED
    assert tasks[0].images[0].url == SAMPLE_IMAGE


def test_error_sample_is_not_a_task():
    assert parse_task(load_sample("error-api-error.json")) is None


def test_succeeded_task_fields():
    task = parse_task(load_sample("task-succeeded.json"))

    assert task.prompt == "a white siamese cat"
    assert task.images[0].url == SAMPLE_IMAGE
    assert task.images[0].prompt == "a white siamese cat"
    assert task.trace_id == "7ba1f1e8-0ef8-450d-8bb2-b5c3bf1ea319"
    assert task.error_code is None


def test_failed_task_keeps_code_and_model():
    task = parse_task(load_sample("task-failed.json"))

    assert task.error_code == "api_error"
    assert task.model == "nano-banana-pro"
    assert task.finished_at == 1757183090.5


@pytest.mark.parametrize("payload", [None, {}, [], "text", {"id": ""}, {"id": 5}, {"items": []}])
def test_payload_without_task_is_none(payload):
    assert parse_task(payload) is None


@pytest.mark.parametrize(
    ("response", "state"),
    [
        (None, TaskState.PENDING),
        ("not an object", TaskState.PENDING),
        ({}, TaskState.PENDING),
        ({"task_id": "x"}, TaskState.PENDING),
        ({"success": False}, TaskState.FAILED),
        ({"error": {"message": "boom"}}, TaskState.FAILED),
        ({"error": {"code": "x"}, "success": True}, TaskState.SUCCEEDED),
        ({"success": True, "data": []}, TaskState.SUCCEEDED),
        ({"data": [{"image_url": "https://cdn.example/a.png"}]}, TaskState.SUCCEEDED),
        ({"data": [{"image_url": "https://cdn.example/a.png"}], "success": False}, TaskState.FAILED),
        ({"data": [{"prompt": "no url"}]}, TaskState.PENDING),
        ({"data": [{"image_url": "ftp://cdn.example/a.png"}]}, TaskState.PENDING),
        ({"data": "not a list"}, TaskState.PENDING),
        ({"error": None}, TaskState.PENDING),
    ],
)
def test_decide_state_rules(response, state):
    assert decide_state(response) is state


def test_failed_without_message_has_no_reason():
    task = parse_task({"id": "a", "response": {"success": False, "error": {"code": "x"}}})

    assert task.state is TaskState.FAILED
    assert task.error_code == "x"
    assert task.error_message is None


def test_images_keep_order_and_skip_bad_items():
    response = {
        "success": True,
        "data": [
            {"image_url": "https://cdn.example/1.png"},
            "junk",
            {"image_url": None},
            {"image_url": "https://cdn.example/2.jpeg", "prompt": "p"},
        ],
    }

    task = parse_task({"id": "a", "response": response})

    assert [image.url for image in task.images] == [
        "https://cdn.example/1.png",
        "https://cdn.example/2.jpeg",
    ]


def test_state_is_final_only_when_finished():
    assert not TaskState.PENDING.is_final
    assert TaskState.SUCCEEDED.is_final
    assert TaskState.FAILED.is_final
