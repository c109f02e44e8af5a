"""The tasks and chats the benchmarks use: task ids, task payloads and chat ids."""

from __future__ import annotations

import time
from typing import Any

# The fake Bot API server fetches image URLs of this host from the fake task API, as
# Telegram fetches them from AceData's CDN.
CDN_HOST = "platform.cdn.acedata.cloud"
IMAGE_PATH = "nanobanana/bench.png"
IMAGE_URL = f"https://{CDN_HOST}/{IMAGE_PATH}"

BOT_TOKEN = "123456789:BENCH-bot-token_abcdefghijklmnopqrstuvw"
API_TOKEN = "acedata-bench-token-0123456789abcdef"

# Chat ids: private chats are positive, basic groups negative, supergroups below -10**12.
_PRIVATE_BASE = 10_000_000
_GROUP_BASE = -4_000_000
_SUPERGROUP_BASE = -1_001_000_000_000


def task_id(number: int) -> str:
    """Return the UUID-shaped task id of task `number`; ids sort in the order of numbers."""
    return f"{number:08x}-0000-4000-8000-{number:012x}"


def private_chat_id(number: int) -> int:
    return _PRIVATE_BASE + number


def group_chat_id(number: int) -> int:
    """Return a basic group's id for even numbers and a supergroup's for odd ones."""
    if number % 2:
        return _SUPERGROUP_BASE - number
    return _GROUP_BASE - number


def mixed_chat_ids(count: int) -> list[int]:
    """Return `count` chat ids, half groups (basic and super) and half private chats."""
    groups = count // 2
    return [group_chat_id(n) for n in range(groups)] + [
        private_chat_id(n) for n in range(count - groups)
    ]


def pending_task(number: int) -> dict[str, Any]:
    """Return a running task as the task API returns it: a response without `success`."""
    identifier = task_id(number)
    return {
        "id": identifier,
        "created_at": time.time() - 30,
        "request": {"action": "generate", "prompt": f"benchmark prompt {number}"},
        "response": {"task_id": identifier},
    }


def succeeded_task(number: int) -> dict[str, Any]:
    """Return a finished task with one image on the CDN."""
    task = pending_task(number)
    task["response"] = {
        "success": True,
        "task_id": task["id"],
        "data": [{"prompt": f"benchmark prompt {number}", "image_url": IMAGE_URL}],
    }
    task["finished_at"] = time.time()
    return task
