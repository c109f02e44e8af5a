"""Client of the Nano Banana Images API, which starts generations and edits."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.acedata_http import AceDataHttp, raise_for_error_body, text_of
from bot.api_errors import InvalidResponseError

logger = logging.getLogger(__name__)

IMAGES_PATH = "/nano-banana/images"

# The values the Images API accepts, in the order its documentation lists them.
MODELS = ("nano-banana", "nano-banana-2-lite", "nano-banana-2", "nano-banana-pro")
ASPECT_RATIOS = ("1:1", "3:2", "2:3", "16:9", "9:16", "4:3", "3:4")
RESOLUTIONS = ("1K", "2K", "4K")
MIN_COUNT = 1
MAX_COUNT = 4

# The largest image the API takes in `image_urls`, a data URI included.
MAX_IMAGE_BYTES = 10_000_000


@dataclass(frozen=True, slots=True)
class ImageRequest:
    """One generation (`generate`) or edit of given images (`edit`), as the bot sends it.

    Fields left as None are left out of the request, so the API's own defaults apply.
    """

    action: Literal["generate", "edit"]
    prompt: str
    model: str | None = None
    aspect_ratio: str | None = None
    resolution: str | None = None
    count: int | None = None
    image_urls: tuple[str, ...] = field(default=(), repr=False)

    @property
    def image_count(self) -> int:
        """The number of images the request creates, which is what it costs."""
        return self.count or 1

    def payload(self, callback_url: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"action": self.action, "prompt": self.prompt, "async": True}
        optional = {
            "model": self.model,
            "aspect_ratio": self.aspect_ratio,
            "resolution": self.resolution,
            "count": self.count,
            "callback_url": callback_url,
        }
        payload.update({key: value for key, value in optional.items() if value is not None})
        if self.image_urls:
            payload["image_urls"] = list(self.image_urls)
        return payload


class ImagesClient:
    """Starts tasks with `async: true`, so the API returns a task id at once.

    A start is not idempotent: it spends the operator's credit each time it runs. So only
    failures that prove the API never got the request are retried.
    """

    def __init__(self, api: AceDataHttp) -> None:
        self._api = api

    async def start(self, request: ImageRequest, *, callback_url: str | None = None) -> str:
        """Start a task and return its id; raise a TaskApiError subclass when the API refuses."""
        status, body = await self._api.call(
            IMAGES_PATH, request.payload(callback_url), idempotent=False
        )
        raise_for_error_body(status, body)

        task_id = text_of(body, "task_id") or text_of(body, "id")
        if task_id is None:
            raise InvalidResponseError(
                "invalid_response", "the images API returned no task_id", status,
                text_of(body, "trace_id"),
            )
        logger.info(
            "Started %s task %s (model %s, %d images)",
            request.action, task_id, request.model or "default", request.image_count,
        )
        return task_id
