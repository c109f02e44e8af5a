"""The naive baseline: a poll that retrieves each watched task with its own call."""

from __future__ import annotations

from bot.client import TaskClient
from bot.storage import WatchStore
from bot.tasks import Task


async def naive_poll_each_task(store: WatchStore, tasks: TaskClient) -> dict[str, Task | None]:
    """Retrieve every open watch's task with one `retrieve` call each, one after another.

    This is how the vendor's SDK and CLI wait on a task, applied to every watched task. It
    returns each task id's task, or None when the API does not know it.
    """
    results: dict[str, Task | None] = {}
    async for task_ids in store.iter_open_task_ids():
        for task_id in task_ids:
            results[task_id] = await tasks.retrieve(task_id)
    return results
