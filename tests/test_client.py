"""The task API client against the fake task API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json

import httpx
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
from bot.acedata_http import AceDataHttp
from bot.client import TaskClient
from bot.tasks import TaskState
from tests.fakes.loopback import closed_port
from tests.fakes.task_api import SAMPLES_DIR, FakeTaskApi, ScriptedResponse
from tests.harness import API_TOKEN

UNKNOWN_ID = "11111111-2222-4333-8444-555555555555"
TRACE_ID = "2cf86e86-22a4-46e1-ac2f-032c0f2a4e89"


def error_body(code: str, message: str = "message") -> bytes:
    return json.dumps(
        {"success": False, "error": {"code": code, "message": message}, "trace_id": TRACE_ID}
    ).encode()


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0)) as client:
        yield client


def task_client(
    http: httpx.AsyncClient, base_url: str, token: str, *, chunk_size: int = 50, **retries: float
) -> TaskClient:
    return TaskClient(AceDataHttp(http, base_url, token, **retries), chunk_size=chunk_size)  # type: ignore[arg-type]


@pytest.fixture
def client(http, task_api: FakeTaskApi) -> TaskClient:
    return task_client(http, task_api.base_url, API_TOKEN, chunk_size=50, max_attempts=1)


async def test_retrieve_sends_documented_request(client, task_api):
    task_id = task_api.add_sample("task-succeeded.json")

    task = await client.retrieve(task_id)

    assert task.state is TaskState.SUCCEEDED
    call = task_api.calls[0]
    assert call.action == "retrieve"
    assert call.ids == [task_id]
    assert call.authorization == f"Bearer {API_TOKEN}"


@pytest.mark.parametrize("style", ["error-404", "empty-object", "null", "error-400"])
async def test_unknown_id_not_found(client, task_api, style):
    task_api.not_found = style

    assert await client.retrieve(UNKNOWN_ID) is None


@pytest.mark.parametrize(
    ("status", "code", "error_type"),
    [
        (400, "token_mismatched", InvalidTokenError),
        (401, "invalid_token", InvalidTokenError),
        (400, "api_not_implemented", ApiNotImplementedError),
        (429, "too_many_requests", TooManyRequestsError),
        (500, "api_error", ServerError),
        (400, "bad_request", TaskApiError),
    ],
)
async def test_error_code_raises_typed_error(client, task_api, status, code, error_type):
    task_api.script(ScriptedResponse(status=status, body=error_body(code, "went wrong")))

    with pytest.raises(error_type) as raised:
        await client.retrieve(UNKNOWN_ID)

    assert raised.value.code == code
    assert raised.value.status == status
    assert raised.value.message == "went wrong"
    assert raised.value.trace_id == TRACE_ID


async def test_vendor_error_sample_is_server_error(client, task_api):
    body = (SAMPLES_DIR / "error-api-error.json").read_bytes()
    task_api.script(ScriptedResponse(status=500, body=body))

    with pytest.raises(ServerError) as raised:
        await client.retrieve(UNKNOWN_ID)

    assert raised.value.code == "api_error"
    assert raised.value.message == "fetch failed"
    assert raised.value.trace_id == TRACE_ID
    assert "api_error (HTTP 500, trace id 2cf86e86" in str(raised.value)


async def test_token_error_with_not_found_message(client, task_api):
    task_api.script(ScriptedResponse(status=401, body=error_body("invalid_token", "token not found")))

    with pytest.raises(InvalidTokenError):
        await client.retrieve(UNKNOWN_ID)


async def test_wrong_token_rejected(http, task_api):
    client = task_client(http, task_api.base_url, "wrong-token", max_attempts=1)

    with pytest.raises(InvalidTokenError) as raised:
        await client.retrieve(UNKNOWN_ID)

    assert raised.value.status == 401
    assert "wrong-token" not in str(raised.value)


@pytest.mark.parametrize(
    ("status", "error_type"), [(200, InvalidResponseError), (502, ServerError)]
)
async def test_html_body_raises(client, task_api, status, error_type):
    task_api.script(
        ScriptedResponse(status=status, body=b"<html>Bad gateway</html>", content_type="text/html")
    )

    with pytest.raises(error_type) as raised:
        await client.retrieve(UNKNOWN_ID)

    assert raised.value.status == status
    assert "<html>Bad gateway" in raised.value.message


async def test_timeout_raises(task_api):
    task_api.script(ScriptedResponse(body=b"{}", delay=1))

    async with httpx.AsyncClient(timeout=httpx.Timeout(0.2)) as http:
        client = task_client(http, task_api.base_url, API_TOKEN, max_attempts=1)
        with pytest.raises(ApiTimeoutError) as raised:
            await client.retrieve(UNKNOWN_ID)

    assert raised.value.code == "timeout"
    assert raised.value.status is None


async def test_refused_connection_raises(http):
    client = task_client(http, f"http://127.0.0.1:{closed_port()}", API_TOKEN, max_attempts=1)

    with pytest.raises(ApiConnectionError) as raised:
        await client.retrieve(UNKNOWN_ID)

    assert raised.value.code == "connection_failed"


async def test_batch_chunks_calls(http, task_api):
    client = task_client(http, task_api.base_url, API_TOKEN, chunk_size=2, max_attempts=1)
    ids = [task_api.add_sample(name) for name in ("task-succeeded.json", "task-failed.json",
                                                  "task-failed-error-only.json")]
    ids += [UNKNOWN_ID, "22222222-2222-4333-8444-555555555555"]

    tasks = await client.retrieve_batch(ids)

    assert [call.ids for call in task_api.calls_of("retrieve_batch")] == [ids[0:2], ids[2:4], ids[4:5]]
    assert set(tasks) == set(ids[:3])
    assert tasks[ids[1]].state is TaskState.FAILED


async def test_batch_sample_served_verbatim(client, task_api):
    body = (SAMPLES_DIR / "batch-one-succeeded.json").read_bytes()
    task_api.script(ScriptedResponse(body=body))
    task_id = "4d320ead-4af4-4a55-8f3e-f2afebdf4fd0"

    tasks = await client.retrieve_batch([task_id, UNKNOWN_ID])

    assert list(tasks) == [task_id]
    assert tasks[task_id].state is TaskState.SUCCEEDED


async def test_batch_ignores_unrequested_items(client, task_api):
    other = json.loads((SAMPLES_DIR / "task-succeeded.json").read_bytes())
    task_api.script(ScriptedResponse(body=json.dumps({"items": [other], "count": 1}).encode()))

    assert await client.retrieve_batch([UNKNOWN_ID]) == {}


@pytest.mark.parametrize("body", [b"null", b"{}", b'{"items": null, "count": 0}'])
async def test_batch_empty_shapes_give_no_tasks(client, task_api, body):
    task_api.script(ScriptedResponse(body=body))

    assert await client.retrieve_batch([UNKNOWN_ID]) == {}


async def test_batch_error_body_raises(client, task_api):
    task_api.script(ScriptedResponse(status=401, body=error_body("invalid_token")))

    with pytest.raises(InvalidTokenError):
        await client.retrieve_batch([UNKNOWN_ID])


async def test_batch_without_items_raises(client, task_api):
    task_api.script(ScriptedResponse(body=b'{"unexpected": true}'))

    with pytest.raises(InvalidResponseError):
        await client.retrieve_batch([UNKNOWN_ID])


async def test_empty_batch_makes_no_call(client, task_api):
    assert await client.retrieve_batch([]) == {}
    assert task_api.calls == []


async def test_server_error_retried_then_succeeds(http, task_api):
    client = task_client(http, task_api.base_url, API_TOKEN, max_attempts=3, max_retry_wait=0.01)
    task_id = task_api.add_sample("task-succeeded.json")
    task_api.script(
        ScriptedResponse(status=500, body=error_body("api_error")),
        ScriptedResponse(status=503, body=b"busy", content_type="text/plain"),
    )

    task = await client.retrieve(task_id)

    assert task.state is TaskState.SUCCEEDED
    assert len(task_api.calls) == 3


async def test_retries_stop_after_max_attempts(http, task_api):
    client = task_client(http, task_api.base_url, API_TOKEN, max_attempts=2, max_retry_wait=0.01)
    task_api.script(*[ScriptedResponse(status=500, body=error_body("api_error"))] * 3)

    with pytest.raises(ServerError):
        await client.retrieve(UNKNOWN_ID)

    assert len(task_api.calls) == 2


async def test_token_error_not_retried(http, task_api):
    client = task_client(http, task_api.base_url, API_TOKEN, max_attempts=3, max_retry_wait=0.01)
    task_api.script(ScriptedResponse(status=401, body=error_body("invalid_token")))

    with pytest.raises(InvalidTokenError):
        await client.retrieve(UNKNOWN_ID)

    assert len(task_api.calls) == 1


async def test_long_retry_after_raised_at_once(http, task_api):
    client = task_client(http, task_api.base_url, API_TOKEN, max_attempts=3, max_retry_wait=1)
    task_api.script(
        ScriptedResponse(status=429, body=error_body("too_many_requests"), headers={"Retry-After": "30"})
    )

    with pytest.raises(TooManyRequestsError) as raised:
        await client.retrieve(UNKNOWN_ID)

    assert raised.value.retry_after == 30
    assert len(task_api.calls) == 1


async def test_short_retry_after_waited(http, task_api):
    client = task_client(http, task_api.base_url, API_TOKEN, max_attempts=3, max_retry_wait=1)
    task_id = task_api.add_sample("task-succeeded.json")
    task_api.script(
        ScriptedResponse(status=429, body=b"", headers={"Retry-After": "0.2"})
    )

    task = await client.retrieve(task_id)

    assert task is not None
    first, second = task_api.calls
    assert second.at - first.at >= 0.2


def max_calls_at_once(task_api: FakeTaskApi) -> int:
    """Return the largest number of calls the fake was working on at the same moment."""
    events = [(call.at, 1) for call in task_api.calls]
    events += [(call.responded_at, -1) for call in task_api.calls if call.responded_at]
    running = max_running = 0
    for _, change in sorted(events):
        running += change
        max_running = max(max_running, running)
    return max_running


async def test_batches_run_concurrently_in_order(http, task_api):
    task_api.latency = 0.2
    ids = [f"dddddddd-0000-4000-8000-{n:012d}" for n in range(12)]
    for task_id in ids:
        task_api.set_task({"id": task_id, "request": {"prompt": "p"}, "response": {}})
    client = TaskClient(
        AceDataHttp(http, task_api.base_url, API_TOKEN, max_attempts=1),
        chunk_size=2,
        concurrent_calls=3,
    )

    chunks = [chunk async for chunk, _ in client.iter_batches(ids)]

    assert chunks == [ids[start : start + 2] for start in range(0, 12, 2)]
    assert len(task_api.calls) == 6
    assert max_calls_at_once(task_api) == 3


async def test_failed_batch_cancels_the_rest(http, task_api):
    task_api.latency = 0.2
    ids = [f"dddddddd-0000-4000-8000-{n:012d}" for n in range(12)]
    task_api.script(ScriptedResponse(status=400, body=error_body("bad_request")))
    client = TaskClient(
        AceDataHttp(http, task_api.base_url, API_TOKEN, max_attempts=1),
        chunk_size=2,
        concurrent_calls=3,
    )

    with pytest.raises(TaskApiError):
        async for _ in client.iter_batches(ids):
            pass
    await asyncio.sleep(0.3)

    assert len(task_api.calls) == 3
