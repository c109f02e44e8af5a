"""Try the bot without Telegram: run both fakes on 127.0.0.1 and chat with the bot here.

    .venv/bin/python -m tests.fakes.serve

It prints the settings that point a bot at the fakes. Start `python -m bot` with them in a
second terminal, then type messages here: each line goes to the bot as a private message,
and everything the bot sends is printed. `finish <task id>` marks a task finished in the fake
task API, so that a watched task is delivered at the next poll.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from tests.fakes.images import png_bytes
from tests.fakes.task_api import SAMPLES_DIR, FakeTaskApi
from tests.fakes.telegram_html import EntityParseError, parse_html
from tests.fakes.telegram_server import Call, FakeTelegram
from tests.fakes.updates import message_update

BOT_TOKEN = "123456789:local-try-token_abcdefghijklmnopqrstu"
API_TOKEN = "local-try-acedata-token"
SAMPLE_IMAGE_PATH = "nanobanana/7e7bd000-698a-4e14-bb2d-3db61237e4bb.png"
CDN_HOST = "platform.cdn.acedata.cloud"


async def serve() -> None:
    task_api = FakeTaskApi(API_TOKEN)
    await task_api.start()
    task_api.add_image(SAMPLE_IMAGE_PATH, png_bytes(512, 512))
    # Two pending samples share one id; the listing names each id once.
    sample_ids: dict[str, str] = {}
    for sample in sorted(SAMPLES_DIR.glob("task-*.json")):
        sample_ids[task_api.add_sample(sample.name)] = sample.stem

    telegram = FakeTelegram(BOT_TOKEN, cdn_hosts={CDN_HOST: task_api.base_url})
    await telegram.start()

    print("Start the bot in another terminal with these settings:\n")
    print(f"  TELEGRAM_BOT_TOKEN={BOT_TOKEN} \\")
    print(f"  ACEDATA_API_TOKEN={API_TOKEN} \\")
    print(f"  TELEGRAM_API_BASE_URL={telegram.base_url} \\")
    print(f"  ACEDATA_API_BASE_URL={task_api.base_url} \\")
    print("  POLL_INTERVAL_SECONDS=2 DATABASE_PATH=/tmp/nanobanana-try.sqlite3 \\")
    print("  .venv/bin/python -m bot\n")
    print("Sample tasks:")
    for task_id, name in sample_ids.items():
        print(f"  {task_id}  {name}")
    print("\nType a message such as /task <id>, or finish <id>; Ctrl+D ends.\n", flush=True)

    printer = asyncio.create_task(_print_sent(telegram))
    try:
        await _read_input(telegram, task_api)
    finally:
        printer.cancel()
        await telegram.stop()
        await task_api.stop()


async def _read_input(telegram: FakeTelegram, task_api: FakeTaskApi) -> None:
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        text = line.strip()
        if not text:
            continue
        if text.startswith("finish "):
            _finish(task_api, text.removeprefix("finish ").strip())
            continue
        await telegram.push_update(message_update(text))


def _finish(task_api: FakeTaskApi, task_id: str) -> None:
    raw = task_api.tasks.get(task_id)
    if raw is None:
        print(f"[fake task API] no task {task_id}", flush=True)
        return
    task = json.loads(raw)
    image_url = f"https://{CDN_HOST}/{SAMPLE_IMAGE_PATH}"
    prompt = (task.get("request") or {}).get("prompt")
    task["response"] = {"success": True, "task_id": task_id,
                        "data": [{"prompt": prompt, "image_url": image_url}]}
    task_api.tasks[task_id] = json.dumps(task).encode()
    print(f"[fake task API] task {task_id} is finished now", flush=True)


async def _print_sent(telegram: FakeTelegram) -> None:
    shown = 0
    while True:
        await telegram.wait_for(lambda fake: len(fake.calls) > shown, timeout=None)
        for call in telegram.calls[shown:]:
            print(_describe(call), flush=True)
        shown = len(telegram.calls)


def _describe(call: Call) -> str:
    if not call.ok:
        return f"[bot → {call.method}] rejected: {call.description}"
    if call.method == "sendMessage":
        return f"[bot → chat {call.chat_id}]\n{_plain(call.text)}\n"
    if call.method in ("sendPhoto", "sendDocument"):
        return f"[bot → chat {call.chat_id}] {call.method}\n{_plain(call.caption)}\n"
    if call.method == "sendMediaGroup":
        return f"[bot → chat {call.chat_id}] album of {len(call.params.get('media', []))}\n"
    return f"[bot → {call.method}]"


def _plain(markup: str) -> str:
    try:
        return parse_html(markup)
    except EntityParseError:
        return markup


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
