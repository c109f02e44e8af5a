"""The optional health endpoint: GET /health over HTTP, served with tornado."""

from __future__ import annotations

import json
import logging
import time
from http import HTTPStatus

import tornado.web
from tornado.httpserver import HTTPServer
from telegram.ext import Application

from bot.health import HealthReport, current_health
from bot.listening import ListenError

logger = logging.getLogger(__name__)

HEALTH_PATH = "/health"


class HealthServer:
    """Serves the health report at /health: HTTP 200 when healthy, 503 when not."""

    def __init__(self, application: Application) -> None:
        self._application = application
        self._started_at = time.time()
        self._server: HTTPServer | None = None

    async def start(self, host: str, port: int) -> None:
        """Bind `host` and `port` and serve; raises ListenError when the port is taken."""
        app = tornado.web.Application(
            [(HEALTH_PATH, _HealthHandler, {"server": self})],
            # Docker and monitors request the endpoint every few seconds: no access log.
            log_function=lambda handler: None,
        )
        server = HTTPServer(app)
        try:
            server.listen(port, address=host)
        except OSError as error:
            raise ListenError("health endpoint", "HEALTH_PORT", host, port, error) from None
        self._server = server
        logger.info("Health endpoint listening on http://%s:%d%s", host, port, HEALTH_PATH)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None

    async def report(self) -> HealthReport:
        return await current_health(self._application, self._started_at)


class _HealthHandler(tornado.web.RequestHandler):
    def initialize(self, server: HealthServer) -> None:
        self._health_server = server

    async def get(self) -> None:
        health = await self._health_server.report()
        self.set_status(_status_of(health))
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(health.body))

    async def head(self) -> None:
        health = await self._health_server.report()
        self.set_status(_status_of(health))
        self.finish()


def _status_of(health: HealthReport) -> HTTPStatus:
    return HTTPStatus.OK if health.healthy else HTTPStatus.SERVICE_UNAVAILABLE
