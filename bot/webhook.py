"""Webhook mode: the URL Telegram posts updates to, the local listener, and its secret token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.settings import Settings

# Bytes of randomness in a generated secret token. token_urlsafe turns 32 bytes into 43
# characters from A-Z, a-z, 0-9, _ and -, which Telegram accepts.
_GENERATED_SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class Webhook:
    """Webhook settings: the URL that Telegram posts updates to, the address and port the
    bot listens on, and the secret token of the X-Telegram-Bot-Api-Secret-Token header."""

    url: str
    listen: str
    port: int
    secret_token: str
    # Whether the secret token was generated for this run because WEBHOOK_SECRET_TOKEN is unset.
    secret_generated: bool = False

    @property
    def path(self) -> str:
        """The path of `url`, which the listener serves; a reverse proxy must keep it."""
        return urlsplit(self.url).path or "/"


class WebhookRejectedError(Exception):
    """Raised when Telegram rejects setWebhook, such as for a URL that is not HTTPS."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"Telegram rejected the webhook URL {url}: {reason}")
        self.url = url
        self.reason = reason


def webhook_of(settings: Settings) -> Webhook | None:
    """Return the webhook settings, or None for long polling when WEBHOOK_URL is unset.

    Without WEBHOOK_SECRET_TOKEN a random secret token is generated. That is safe because
    setWebhook sends it to Telegram at every start.
    """
    if settings.webhook_url is None:
        return None

    configured = settings.webhook_secret_token
    secret = (
        configured.get_secret_value()
        if configured is not None
        else secrets.token_urlsafe(_GENERATED_SECRET_BYTES)
    )
    return Webhook(
        url=settings.webhook_url,
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        secret_token=secret,
        secret_generated=configured is None,
    )
