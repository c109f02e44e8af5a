"""Downloading images from their URLs into memory, with timeouts and a size cap."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from bot.i18n import N_, LazyText
from bot.limits import MAX_DOCUMENT_UPLOAD_BYTES

# A bot cannot upload a file larger than a document's limit, so a download stops there.
MAX_DOWNLOAD_BYTES = MAX_DOCUMENT_UPLOAD_BYTES

# Seconds for one download: to connect, between two chunks of the response, and in all.
_CONNECT_TIMEOUT_SECONDS = 10.0
_READ_TIMEOUT_SECONDS = 30.0
_TOTAL_TIMEOUT_SECONDS = 120.0
_MAX_REDIRECTS = 5


class DownloadError(Exception):
    """Raised when an image could not be downloaded. The message, a LazyText, is the reason
    for users."""


@dataclass(frozen=True, slots=True)
class Download:
    data: bytes
    # The Content-Type header of the response, or "" when it had none.
    content_type: str


def new_download_client() -> httpx.AsyncClient:
    """Create the HTTP client that all image downloads share, with its timeouts."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(_READ_TIMEOUT_SECONDS, connect=_CONNECT_TIMEOUT_SECONDS),
        follow_redirects=True,
        max_redirects=_MAX_REDIRECTS,
    )


class ImageDownloader:
    """Downloads files over a shared client, keeping them in memory, up to `max_bytes`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        max_bytes: int = MAX_DOWNLOAD_BYTES,
        total_timeout: float = _TOTAL_TIMEOUT_SECONDS,
    ) -> None:
        self._http = http
        self._max_bytes = max_bytes
        self._total_timeout = total_timeout

    async def download(self, url: str) -> Download:
        """Download `url` as it is, byte for byte, or raise DownloadError with the reason.

        A response over `max_bytes` fails as soon as its Content-Length header or the bytes
        read so far show it, so a response without Content-Length is cut off at the cap too.
        """
        try:
            async with asyncio.timeout(self._total_timeout):
                return await self._read(url)
        except (TimeoutError, httpx.TimeoutException):
            raise DownloadError(N_("the download timed out")) from None
        except httpx.TooManyRedirects:
            raise DownloadError(N_("the image server redirected too many times")) from None
        except httpx.InvalidURL:
            raise DownloadError(N_("the URL is not valid")) from None
        except httpx.HTTPError:
            raise DownloadError(N_("the image server could not be reached")) from None

    async def _read(self, url: str) -> Download:
        async with self._http.stream("GET", url) as response:
            if response.status_code != httpx.codes.OK:
                raise DownloadError(
                    N_(
                        "the image server responded with HTTP {status}",
                        status=response.status_code,
                    )
                )

            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self._max_bytes:
                raise DownloadError(self._too_large())

            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > self._max_bytes:
                    raise DownloadError(self._too_large())
            return Download(bytes(data), response.headers.get("content-type", ""))

    def _too_large(self) -> LazyText:
        return N_(
            "it is larger than {size:g} MB, the maximum this bot downloads",
            size=self._max_bytes / 1_000_000,
        )
