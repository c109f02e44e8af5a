"""The long-lived objects that handlers and jobs share, kept in the application's bot_data."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from telegram.ext import CallbackContext

from bot.callbacks import CallbackListener
from bot.client import TaskClient
from bot.deliver import Delivery
from bot.images_api import ImagesClient
from bot.poller import Poller
from bot.settings import Settings
from bot.storage import WatchStore

_SERVICES_KEY = "services"


@dataclass(slots=True)
class Services:
    settings: Settings
    # The task API's client.
    http: httpx.AsyncClient
    tasks: TaskClient
    delivery: Delivery
    store: WatchStore
    poller: Poller
    images: ImagesClient
    # The client that downloads images which Telegram could not fetch by URL.
    downloads: httpx.AsyncClient
    # Where the images API posts a task's result, and the listener that receives it, or
    # None for both to rely on polling alone.
    callback_url: str | None = None
    callbacks: CallbackListener | None = None


def store_services(bot_data: dict[object, object], services: Services) -> None:
    bot_data[_SERVICES_KEY] = services


def find_services(bot_data: dict[object, object]) -> Services | None:
    services = bot_data.get(_SERVICES_KEY)
    return services if isinstance(services, Services) else None


def services_of(context: CallbackContext) -> Services:  # type: ignore[type-arg]
    """Return the services of the application that is running this handler or job."""
    services = find_services(context.application.bot_data)
    if services is None:
        raise RuntimeError("the application's services are not started yet")
    return services
