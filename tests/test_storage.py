"""The watch store on real SQLite files."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot import storage
from bot.storage import MIGRATIONS, WatchStore

CHAT = -1001
OTHER_CHAT = 2002
ID_A = "aaaaaaaa-0000-4000-8000-000000000001"
ID_B = "aaaaaaaa-0000-4000-8000-000000000002"
ID_C = "aaaaaaaa-0000-4000-8000-000000000003"


@pytest.fixture
async def store(tmp_path):
    opened = await WatchStore.open(tmp_path / "data" / "watches.sqlite3")
    yield opened
    await opened.close()


async def add(store: WatchStore, chat_id: int, *task_ids: str, thread_id=None, now=100.0, limit=100, user=7):
    return await store.add_watches(
        chat_id, thread_id, task_ids, added_by=user, now=now, limit=limit, source_message_id=55
    )


async def test_new_file_gets_latest_schema(tmp_path):
    path = tmp_path / "nested" / "folder" / "bot.sqlite3"

    store = await WatchStore.open(path)
    version = await store.schema_version()
    await store.close()

    assert path.exists()
    assert version == len(MIGRATIONS)
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_reopen_keeps_watches(tmp_path):
    path = tmp_path / "bot.sqlite3"
    first = await WatchStore.open(path)
    await add(first, CHAT, ID_A)
    await first.close()

    second = await WatchStore.open(path)
    watches = await second.open_watches_of_chat(CHAT)
    await second.close()

    assert [watch.task_id for watch in watches] == [ID_A]
    assert watches[0].added_by == 7
    assert watches[0].source_message_id == 55
    assert watches[0].state == storage.PENDING


async def test_newer_schema_rejected(tmp_path):
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")

    with pytest.raises(RuntimeError, match="newer than this bot's"):
        await WatchStore.open(path)


async def test_same_watch_added_once(store):
    first = await add(store, CHAT, ID_A, ID_B)
    second = await add(store, CHAT, ID_A, ID_B, ID_A)

    assert first.added == [ID_A, ID_B]
    assert second.added == []
    assert second.already_watched == [ID_A, ID_B, ID_A]
    assert await store.count_open(CHAT) == 2


async def test_topics_watch_separately(store):
    await add(store, CHAT, ID_A, thread_id=5)
    result = await add(store, CHAT, ID_A, thread_id=6)

    watches = await store.open_watches_of_task(ID_A)
    assert result.added == [ID_A]
    assert sorted(watch.thread_id for watch in watches) == [5, 6]


async def test_chats_share_a_task(store):
    await add(store, CHAT, ID_A)
    await add(store, OTHER_CHAT, ID_A)

    watches = await store.open_watches_of_task(ID_A)

    assert sorted(watch.chat_id for watch in watches) == [CHAT, OTHER_CHAT]


async def test_limit_counts_open_watches_of_chat(store):
    result = await add(store, CHAT, ID_A, ID_B, ID_C, limit=2)

    assert result.added == [ID_A, ID_B]
    assert result.over_limit == [ID_C]
    assert await add(store, OTHER_CHAT, ID_C, limit=2)


async def test_closed_watch_reopened(store):
    await add(store, CHAT, ID_A)
    [watch] = await store.open_watches_of_chat(CHAT)
    assert await store.close_watch(watch.id, storage.SUCCEEDED, 200.0)
    assert not await store.close_watch(watch.id, storage.SUCCEEDED, 201.0)

    result = await add(store, CHAT, ID_A, now=300.0)

    [reopened] = await store.open_watches_of_chat(CHAT)
    assert result.added == [ID_A]
    assert reopened.added_at == 300.0
    assert reopened.notified_at is None


async def test_remove_and_remove_all(store):
    await add(store, CHAT, ID_A, ID_B, ID_C)
    await add(store, CHAT, ID_A, thread_id=9)

    removed = await store.remove_watches(CHAT, [ID_A, "missing"])
    count = await store.remove_all(CHAT)

    assert removed == [ID_A]
    assert count == 2
    assert await store.count_open(CHAT) == 0


async def test_remove_all_of_one_user(store):
    await add(store, CHAT, ID_A, user=1)
    await add(store, CHAT, ID_B, user=2)

    assert await store.remove_all(CHAT, added_by=1) == 1
    assert [watch.task_id for watch in await store.open_watches_of_chat(CHAT)] == [ID_B]


async def test_migrate_chat_merges_duplicates(store):
    await add(store, CHAT, ID_A, ID_B)
    await add(store, OTHER_CHAT, ID_A)

    moved = await store.migrate_chat(CHAT, OTHER_CHAT)

    assert moved == 1
    assert await store.count_open(CHAT) == 0
    assert sorted(w.task_id for w in await store.open_watches_of_chat(OTHER_CHAT)) == [ID_A, ID_B]


async def test_open_task_ids_paged_without_repeats(store):
    task_ids = [f"aaaaaaaa-0000-4000-8000-{n:012d}" for n in range(25)]
    for task_id in task_ids:
        await add(store, CHAT, task_id)
        await add(store, OTHER_CHAT, task_id)

    pages = [page async for page in store.iter_open_task_ids(batch_size=10)]

    assert [len(page) for page in pages] == [10, 10, 5]
    assert [task_id for page in pages for task_id in page] == sorted(task_ids)


async def test_misses_counted_and_reset(store):
    await add(store, CHAT, ID_A)
    await add(store, OTHER_CHAT, ID_A)

    await store.record_misses([ID_A])
    counts = await store.record_misses([ID_A, ID_B])
    await store.reset_misses([ID_A])

    assert counts == {ID_A: 2}
    assert {watch.misses for watch in await store.open_watches_of_task(ID_A)} == {0}


async def test_expired_and_pruned(store):
    await add(store, CHAT, ID_A, now=100.0)
    await add(store, CHAT, ID_B, now=500.0)

    expired = await store.expired_watches(added_before=200.0)
    await store.close_watch(expired[0].id, storage.EXPIRED, 300.0)
    pruned = await store.prune_closed(closed_before=400.0)

    assert [watch.task_id for watch in expired] == [ID_A]
    assert pruned == 1
    assert await store.get_watch(expired[0].id) is None


async def test_drop_chat_removes_every_watch(store):
    await add(store, CHAT, ID_A, ID_B)
    await add(store, OTHER_CHAT, ID_A)

    assert await store.drop_chat(CHAT) == 2
    assert await store.count_open() == 1


async def test_failed_deliveries_counted(store):
    await add(store, CHAT, ID_A)
    [watch] = await store.open_watches_of_chat(CHAT)

    await store.record_failed_delivery(watch.id)

    assert await store.record_failed_delivery(watch.id) == 2


async def test_remove_by_source_message(store):
    await add(store, CHAT, ID_A, ID_B)

    assert sorted(await store.remove_by_source(CHAT, 55)) == [ID_A, ID_B]
    assert await store.remove_by_source(CHAT, 55) == []


# Chat languages -------------------------------------------------------------------------------


async def test_chat_language_set_and_forgotten(store):
    assert await store.chat_language(CHAT) is None

    await store.set_chat_language(CHAT, "zh", now=100.0)
    await store.set_chat_language(CHAT, "en", now=200.0)
    chosen = await store.chat_language(CHAT)
    await store.set_chat_language(CHAT, None, now=300.0)

    assert chosen == "en"
    assert await store.chat_language(CHAT) is None
    assert await store.chat_language(OTHER_CHAT) is None


async def test_chat_language_survives_reopen(tmp_path):
    path = tmp_path / "bot.sqlite3"
    first = await WatchStore.open(path)
    await first.set_chat_language(CHAT, "zh", now=100.0)
    await first.close()

    second = await WatchStore.open(path)
    chosen = await second.chat_language(CHAT)
    await second.close()

    assert chosen == "zh"


async def test_watch_records_its_language(store):
    await store.add_watches(CHAT, None, [ID_A], added_by=7, now=100.0, limit=100, language="zh")
    await store.add_watches(CHAT, None, [ID_B], added_by=7, now=100.0, limit=100)

    watches = await store.open_watches_of_chat(CHAT)

    assert [(watch.task_id, watch.language) for watch in watches] == [(ID_A, "zh"), (ID_B, None)]


async def test_migrated_group_keeps_language(store):
    await store.set_chat_language(CHAT, "zh", now=100.0)

    await store.migrate_chat(CHAT, OTHER_CHAT)

    assert await store.chat_language(OTHER_CHAT) == "zh"
    assert await store.chat_language(CHAT) is None


async def test_migrated_group_keeps_supergroup_language(store):
    await store.set_chat_language(CHAT, "zh", now=100.0)
    await store.set_chat_language(OTHER_CHAT, "en", now=200.0)

    await store.migrate_chat(CHAT, OTHER_CHAT)

    assert await store.chat_language(OTHER_CHAT) == "en"
    assert await store.chat_language(CHAT) is None


async def test_upgrade_from_version_2_keeps_watches(tmp_path):
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as connection:
        for script in MIGRATIONS[:2]:
            connection.executescript(script)
        connection.execute(
            "INSERT INTO watches (chat_id, task_id, added_by, added_at) VALUES (?, ?, 7, 100.0)",
            (CHAT, ID_A),
        )
        connection.execute("PRAGMA user_version = 2")

    store = await WatchStore.open(path)
    version = await store.schema_version()
    watches = await store.open_watches_of_chat(CHAT)
    await store.close()

    assert version == 3
    assert [(watch.task_id, watch.language) for watch in watches] == [(ID_A, None)]


async def test_concurrent_adds_all_stored(store):
    chats = range(-3000, -3020, -1)
    task_ids = {chat: [f"cccccccc-0000-4000-8000-{-chat:06d}{n:06d}" for n in range(5)] for chat in chats}

    results = await asyncio.gather(
        *(add(store, chat, *task_ids[chat]) for chat in chats),
        store.migrate_chat(-2999, -1002999),
        return_exceptions=True,
    )

    errors = [result for result in results if isinstance(result, BaseException)]
    assert errors == []
    for chat, result in zip(chats, results, strict=False):
        assert result.added == task_ids[chat]
    assert await store.count_open() == 100


async def test_open_watches_of_tasks_in_added_order(store):
    await add(store, CHAT, ID_B)
    await add(store, OTHER_CHAT, ID_A, ID_C)
    await store.remove_watches(OTHER_CHAT, [ID_C])

    watches = await store.open_watches_of_tasks([ID_A, ID_B, ID_C])

    assert [(watch.chat_id, watch.task_id) for watch in watches] == [(CHAT, ID_B), (OTHER_CHAT, ID_A)]


async def test_close_tasks_of_chat_in_every_topic(store):
    await add(store, CHAT, ID_A, thread_id=7)
    await add(store, CHAT, ID_A, ID_B)
    await add(store, OTHER_CHAT, ID_A)

    closed = await store.close_tasks_of_chat(CHAT, {ID_A: storage.SUCCEEDED, ID_B: storage.FAILED}, 200.0)

    assert closed == 3
    assert await store.count_open(CHAT) == 0
    assert await store.count_open(OTHER_CHAT) == 1
