"""Fixtures: the fake servers on 127.0.0.1, the running bot, and a guard against other hosts."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fakes.images import noise_png_bytes, png_bytes
from tests.fakes.task_api import FakeTaskApi
from tests.fakes.telegram_server import FakeTelegram
from tests.harness import API_TOKEN, BOT_TOKEN, BotHarness, started_bot

SAMPLE_IMAGE_PATH = "nanobanana/7e7bd000-698a-4e14-bb2d-3db61237e4bb.png"
CDN_HOST = "platform.cdn.acedata.cloud"

_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def _is_loopback(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test that tries to resolve or connect to a host other than loopback."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not _is_loopback(host):
            raise OSError(f"test network guard: {host!r} is not a loopback host")
        return real_getaddrinfo(host, *args, **kwargs)

    def check_address(address: object) -> None:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            raise OSError(f"test network guard: {address!r} is not a loopback address")

    def guarded_connect(self, address):  # type: ignore[no-untyped-def]
        check_address(address)
        return real_connect(self, address)

    def guarded_connect_ex(self, address):  # type: ignore[no-untyped-def]
        check_address(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    yield


@pytest.fixture(scope="session")
def png_7mb() -> bytes:
    """An incompressible PNG of about 7.2 MB: over the 5 MB Telegram downloads for a photo."""
    return noise_png_bytes(1600, 1500)


@pytest.fixture(scope="session")
def png_15mb() -> bytes:
    """An incompressible PNG of about 15.2 MB: over the 10 MB of an uploaded photo."""
    return noise_png_bytes(2300, 2200)


@pytest.fixture
async def task_api() -> AsyncIterator[FakeTaskApi]:
    fake = FakeTaskApi(API_TOKEN)
    await fake.start()
    fake.add_image(SAMPLE_IMAGE_PATH, png_bytes())
    yield fake
    await fake.stop()


@pytest.fixture
async def telegram(task_api: FakeTaskApi) -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(BOT_TOKEN, cdn_hosts={CDN_HOST: task_api.base_url})
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(
    request: pytest.FixtureRequest, telegram: FakeTelegram, task_api: FakeTaskApi, tmp_path
) -> AsyncIterator[BotHarness]:
    """The running bot; `@pytest.mark.bot_settings(name=value)` overrides its settings."""
    overrides: dict[str, object] = {"database_path": tmp_path / "bot.sqlite3"}
    marker = request.node.get_closest_marker("bot_settings")
    if marker is not None:
        overrides.update(marker.kwargs)

    async with started_bot(telegram, task_api, **overrides) as harness:
        yield harness
