"""The listener for the images API's callbacks, which report that a started task is done.

A callback only prompts the bot to retrieve that task at once, because the task API stays
the source of a task's state and images. A forged or repeated callback cannot change what a
chat gets, and a lost one leaves the task to the next poll.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot.ids import normalize_task_id
from bot.listening import ListenError

logger = logging.getLogger(__name__)

# A callback body contains a task id and its image URLs, so anything much larger is not one.
_MAX_BODY_BYTES = 256 * 1024


def callback_secret(bot_token: str) -> str:
    """Derive the secret path segment of the callback URL from the bot token.

    It stays the same across restarts, so tasks started before a restart can still report
    back, and it cannot be guessed without the token.
    """
    digest = hmac.new(bot_token.encode(), b"nano-banana images callback", hashlib.sha256)
    return digest.hexdigest()[:32]


class CallbackListener:
    """Serves POST requests whose last path segment is the secret, on its own port."""

    def __init__(
        self,
        on_task_done: Callable[[str], Awaitable[None]],
        secret: str,
        *,
        listen: str,
        port: int,
    ) -> None:
        self._on_task_done = on_task_done
        self._secret = secret
        self._listen = listen
        self._requested_port = port
        self._server: HTTPServer | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self.port: int | None = None

    async def start(self) -> None:
        """Bind the address and port, raising ListenError when that fails, and serve."""
        # Tornado's access log would print request paths, and a valid path contains the secret.
        application = Application(
            [(r"/.*", _CallbackHandler, {"listener": self})], log_function=_no_access_log
        )
        try:
            sockets = bind_sockets(self._requested_port, address=self._listen)
        except OSError as error:
            raise ListenError(
                "images API callbacks", "CREATE_CALLBACK_PORT", self._listen, self._requested_port,
                error,
            ) from None
        self._server = HTTPServer(application, max_body_size=_MAX_BODY_BYTES)
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        logger.info("Listening for images API callbacks on %s port %d", self._listen, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
        await self.wait_idle()

    async def wait_idle(self) -> None:
        """Wait until every task check that a callback started has ended."""
        while self._pending:
            await asyncio.wait(list(self._pending))

    def accepts(self, path: str) -> bool:
        return hmac.compare_digest(path.rstrip("/").rsplit("/", 1)[-1], self._secret)

    def task_done(self, task_id: str) -> None:
        check = asyncio.create_task(self._on_task_done(task_id), name=f"callback check {task_id}")
        self._pending.add(check)
        check.add_done_callback(self._pending.discard)


class _CallbackHandler(RequestHandler):
    def initialize(self, listener: CallbackListener) -> None:
        self.listener = listener

    def post(self) -> None:
        if not self.listener.accepts(self.request.path):
            # The same response as for any unknown path, so the secret cannot be probed.
            self.send_error(404)
            return

        try:
            body = json.loads(self.request.body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._reject("body is not JSON")
            return
        raw_id = body.get("task_id") if isinstance(body, dict) else None
        task_id = normalize_task_id(raw_id) if isinstance(raw_id, str) else None
        if task_id is None:
            self._reject("body has no valid task_id")
            return

        logger.info("Images API callback for task %s", task_id)
        self.listener.task_done(task_id)
        self.write({"ok": True})

    def _reject(self, reason: str) -> None:
        logger.info("Images API callback rejected: %s", reason)
        self.set_status(400)
        self.write({"ok": False, "error": reason})


def _no_access_log(handler: RequestHandler) -> None:
    """Log nothing per request; the handler logs what it accepts and rejects."""
