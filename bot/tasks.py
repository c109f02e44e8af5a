"""Nano Banana tasks reduced to what the bot shows, and the rules that decide their state."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any


class TaskState(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self is not TaskState.PENDING


@dataclass(frozen=True, slots=True)
class TaskImage:
    url: str
    prompt: str | None = None


@dataclass(frozen=True, slots=True)
class Task:
    """One task of the Tasks API, reduced to what the bot shows."""

    id: str
    state: TaskState
    prompt: str | None = None
    model: str | None = None
    images: tuple[TaskImage, ...] = ()
    error_code: str | None = None
    error_message: str | None = None
    created_at: float | None = None
    finished_at: float | None = None
    trace_id: str | None = None


def parse_task(payload: Any) -> Task | None:
    """Build a Task from one task object of the API, or return None when it contains no task.

    The API's response for an unknown id is not documented, so `null`, `{}` and any object
    without a string `id` all mean "no such task".
    """
    if not isinstance(payload, dict):
        return None

    task_id = payload.get("id")
    if not isinstance(task_id, str) or not task_id:
        return None

    request = _as_dict(payload.get("request"))
    response = payload.get("response")
    state = decide_state(response)
    response = _as_dict(response)
    error = _as_dict(response.get("error"))

    error_message = None
    if state is TaskState.FAILED:
        error_message = _as_text(error.get("message")) or _as_text(response.get("message"))

    return Task(
        id=task_id,
        state=state,
        prompt=_as_text(request.get("prompt")),
        model=_as_text(request.get("model")),
        images=_images(response) if state is TaskState.SUCCEEDED else (),
        error_code=_as_text(error.get("code")) if state is TaskState.FAILED else None,
        error_message=error_message,
        created_at=_as_number(payload.get("created_at")),
        finished_at=_as_number(payload.get("finished_at")),
        trace_id=_as_text(payload.get("trace_id")) or _as_text(response.get("trace_id")),
    )


def decide_state(response: Any) -> TaskState:
    """Decide a task's state from its `response` field.

    The Tasks API has no status field. These are the rules of AceData's own web studio and SDK:
    a task without a response, or whose response has neither `success` nor `error`, is still
    running. `success: false`, or an `error` without `success: true`, means it failed. It
    succeeded on `success: true`, or when `data` contains image URLs and `success` is not false:
    one real task came back finished with images but without `success`.
    """
    if not isinstance(response, dict):
        return TaskState.PENDING

    success = response.get("success")
    if success is False:
        return TaskState.FAILED
    if response.get("error") and success is not True:
        return TaskState.FAILED
    if success is True or _images(response):
        return TaskState.SUCCEEDED
    return TaskState.PENDING


def _images(response: dict[str, Any]) -> tuple[TaskImage, ...]:
    data = response.get("data")
    if not isinstance(data, list):
        return ()

    images = []
    for item in data:
        item = _as_dict(item)
        url = item.get("image_url")
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            images.append(TaskImage(url=url, prompt=_as_text(item.get("prompt"))))
    return tuple(images)


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    return None


def _as_number(value: Any) -> float | None:
    # Python's json module reads NaN and Infinity, which no timestamp can be.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
