"""Starting the fakes' HTTP servers on 127.0.0.1, and finding a port with no listener."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

from aiohttp import web


async def start_site(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve `app` on a free port of 127.0.0.1 and return its runner and base URL."""
    # A short shutdown timeout, so that a held request (a long poll) does not delay teardown.
    runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def closed_port() -> int:
    """Return a port of 127.0.0.1 that was free a moment ago, so connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def taken_port() -> Iterator[int]:
    """Hold a listening socket on a free port of 127.0.0.1 for the block, and yield its port."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]
