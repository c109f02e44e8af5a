"""A fake Nano Banana task API on 127.0.0.1, which also serves the images as the CDN would.

Tasks are stored as the exact bytes the API returns for a single `retrieve`, so the vendor's
sample payloads are served verbatim. `retrieve_batch` returns the known tasks, in the
reverse of the order asked for, since the API does not promise an order.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes.loopback import start_site

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "samples"
TASKS_PATH = "/nano-banana/tasks"
IMAGES_PATH = "/nano-banana/images"

# Values the images API accepts.
MODELS = ("nano-banana", "nano-banana-2-lite", "nano-banana-2", "nano-banana-pro")
ASPECT_RATIOS = ("1:1", "3:2", "2:3", "16:9", "9:16", "4:3", "3:4")
RESOLUTIONS = ("1K", "2K", "4K")
MAX_IMAGE_URL_BYTES = 10_000_000


@dataclass
class ApiCall:
    action: str | None
    ids: list[str]
    authorization: str | None
    at: float
    path: str = TASKS_PATH
    payload: Any = None
    # time.monotonic() when the fake had its response ready, latency included.
    responded_at: float | None = None


@dataclass
class ScriptedResponse:
    """A response the fake returns to the next call instead of its usual one."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Only a call of this action takes the response; None lets any call take it.
    action: str | None = None


@dataclass
class ImageFile:
    data: bytes
    content_type: str = "image/png"
    status: int = 200
    chunked: bool = False
    delay: float = 0.0
    # How many requests get HTTP 503 before the image is served, as from a flaky CDN.
    failures: int = 0


class FakeTaskApi:
    """The fake server. `not_found` picks its response to a `retrieve` of an unknown id."""

    def __init__(self, token: str, *, not_found: str = "error-404") -> None:
        self.token = token
        self.not_found = not_found
        self.latency = 0.0
        self.tasks: dict[str, bytes] = {}
        self.images: dict[str, ImageFile] = {}
        self.calls: list[ApiCall] = []
        # The raw target of each image request (path and query, escapes as received), without
        # its leading slash.
        self.image_requests: list[str] = []
        self.scripted: deque[ScriptedResponse] = deque()
        # Payloads of the images API calls that started a task, in order.
        self.started: list[dict[str, Any]] = []
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Condition()
        self.base_url = ""

    async def start(self) -> str:
        # Large enough for an edit request with a few 10 MB images as data URIs.
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post(TASKS_PATH, self._handle_tasks)
        app.router.add_post(IMAGES_PATH, self._handle_tasks)
        app.router.add_get("/{path:.+}", self._handle_image)
        self._runner, self.base_url = await start_site(app)
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # Setting up tasks and images -------------------------------------------------------------

    def add_sample(self, name: str) -> str:
        """Serve a sample payload from tests/fixtures/samples verbatim; return its task id."""
        raw = (SAMPLES_DIR / name).read_bytes()
        task_id = json.loads(raw)["id"]
        self.tasks[task_id] = raw
        return task_id

    def set_task(self, task: dict[str, Any]) -> str:
        self.tasks[task["id"]] = json.dumps(task).encode()
        return task["id"]

    def add_image(self, path: str, data: bytes, **options: Any) -> str:
        """Serve `data` at `path` and return its URL on this server.

        `path` may carry a query string. It is matched byte for byte against the raw request
        target, so `%2B` and `+` are different images.
        """
        path = path.lstrip("/")
        self.images[path] = ImageFile(data=data, **options)
        return f"{self.base_url}/{path}"

    def script(self, *responses: ScriptedResponse) -> None:
        self.scripted.extend(responses)

    def calls_of(self, action: str) -> list[ApiCall]:
        return [call for call in self.calls if call.action == action]

    async def wait_for(self, predicate: Callable[[FakeTaskApi], Any], timeout: float = 10.0) -> Any:
        """Wait until predicate(self) returns something truthy, and return it."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                while not (result := predicate(self)):
                    await self._changed.wait()
                return result

    # Request handling ---------------------------------------------------------------------------

    async def _handle_tasks(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            payload = json.loads(raw)
        except json.JSONDecodeError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        action = payload.get("action")
        ids = payload.get("ids") or ([payload["id"]] if payload.get("id") else [])
        authorization = request.headers.get("authorization")

        call = ApiCall(action, list(ids), authorization, time.monotonic(), request.path, payload)
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

        response = await self._respond_to_tasks(call)
        call.responded_at = time.monotonic()
        return response

    async def _respond_to_tasks(self, call: ApiCall) -> web.Response:
        action, ids, authorization, payload = call.action, call.ids, call.authorization, call.payload
        if self.latency:
            await asyncio.sleep(self.latency)

        scripted = self._take_scripted(action)
        if scripted is not None:
            if scripted.delay:
                await asyncio.sleep(scripted.delay)
            return web.Response(
                status=scripted.status,
                body=scripted.body,
                headers={"content-type": scripted.content_type, **scripted.headers},
            )

        if authorization != f"Bearer {self.token}":
            return _error(401, "invalid_token", "The token is invalid.")

        if call.path == IMAGES_PATH:
            return self._start_task(payload)
        if action == "retrieve":
            return self._retrieve(ids[0] if ids else "")
        if action == "retrieve_batch":
            return self._retrieve_batch(ids)
        return _error(400, "api_not_implemented", f"action {action!r} is not implemented")

    def _start_task(self, payload: dict[str, Any]) -> web.Response:
        """Check a request of the images API as the API does, and store a new running task."""
        problem = _image_request_problem(payload)
        if problem is not None:
            status, code, message = problem
            return _error(status, code, message)

        task_id = str(uuid.uuid4())
        request = {key: value for key, value in payload.items() if key not in ("async", "callback_url")}
        self.started.append(payload)
        self.tasks[task_id] = json.dumps(
            {"id": task_id, "created_at": time.time(), "request": request, "type": "images"}
        ).encode()
        return web.json_response({"task_id": task_id, "trace_id": "fake-trace-start"})

    def finish_task(self, task_id: str, image_urls: list[str]) -> dict[str, Any]:
        """Mark a started task as succeeded with these images; return the callback body."""
        task = json.loads(self.tasks[task_id])
        prompt = task["request"].get("prompt")
        data = [{"prompt": prompt, "image_url": url} for url in image_urls]
        task["response"] = {"success": True, "task_id": task_id, "data": data}
        task["finished_at"] = time.time()
        self.tasks[task_id] = json.dumps(task).encode()
        return {"success": True, "task_id": task_id, "trace_id": "fake-trace-done", "data": data}

    def _take_scripted(self, action: str | None) -> ScriptedResponse | None:
        for scripted in self.scripted:
            if scripted.action is None or scripted.action == action:
                self.scripted.remove(scripted)
                return scripted
        return None

    def _retrieve(self, task_id: str) -> web.Response:
        raw = self.tasks.get(task_id)
        if raw is not None:
            return web.Response(body=raw, content_type="application/json")

        if self.not_found == "error-404":
            return _error(404, "not_found", f"task {task_id} not found")
        if self.not_found == "empty-object":
            return web.json_response({})
        if self.not_found == "null":
            return web.Response(body=b"null", content_type="application/json")
        if self.not_found == "error-400":
            return _error(400, "bad_request", "task not found")
        raise ValueError(f"unknown not_found style {self.not_found!r}")

    def _retrieve_batch(self, ids: list[str]) -> web.Response:
        items = [json.loads(self.tasks[task_id]) for task_id in ids if task_id in self.tasks]
        items.reverse()
        return web.json_response({"items": items, "count": len(items)})

    async def _handle_image(self, request: web.Request) -> web.StreamResponse:
        path = request.raw_path.removeprefix("/")
        self.image_requests.append(path)
        image = self.images.get(path)
        if image is None:
            return web.Response(status=404, text="not found")
        if image.delay:
            await asyncio.sleep(image.delay)
        if image.failures > 0:
            image.failures -= 1
            return web.Response(status=503, text="service unavailable")
        if image.status != 200:
            return web.Response(status=image.status, body=image.data, content_type=image.content_type)
        if not image.chunked:
            return web.Response(body=image.data, content_type=image.content_type)

        # Chunked transfer encoding: the response carries no Content-Length.
        response = web.StreamResponse(headers={"content-type": image.content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(image.data), 64 * 1024):
            await response.write(image.data[start : start + 64 * 1024])
        await response.write_eof()
        return response


def _image_request_problem(payload: dict[str, Any]) -> tuple[int, str, str] | None:
    """Return (status, code, message) for a request the images API rejects, else None."""
    if payload.get("action") not in ("generate", "edit"):
        return 400, "bad_request", "action must be generate or edit"
    if not isinstance(payload.get("prompt"), str) or not payload["prompt"].strip():
        return 400, "bad_request", "prompt is required"
    checks = (("model", MODELS), ("aspect_ratio", ASPECT_RATIOS), ("resolution", RESOLUTIONS))
    for name, allowed in checks:
        if name in payload and payload[name] not in allowed:
            return 400, "bad_request", f"invalid {name}"
    if "count" in payload and payload["count"] not in (1, 2, 3, 4):
        return 400, "bad_request", "count must be from 1 to 4"

    image_urls = payload.get("image_urls", [])
    if payload["action"] == "edit" and not image_urls:
        return 400, "bad_request", "image_urls is required for edit"
    for url in image_urls:
        if not isinstance(url, str) or not url.startswith(("http://", "https://", "data:")):
            return 400, "bad_request", "image_urls must be http(s) or data URIs"
        if len(url) > MAX_IMAGE_URL_BYTES:
            return 413, "request_too_large", "image is over 10 MB"
    return None


def _error(status: int, code: str, message: str) -> web.Response:
    body = {
        "success": False,
        "error": {"code": code, "message": message},
        "trace_id": "00000000-fake-4000-8000-000000000000",
    }
    return web.json_response(body, status=status)
