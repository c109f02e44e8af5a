"""A fake Telegram Bot API server on 127.0.0.1 that records every request.

It responds to the methods this bot calls as Telegram does: the same envelopes, the same
error descriptions and the same limits (text and caption lengths, album sizes, photo sizes
and dimensions). Like Telegram, it downloads a photo or document given as a URL, byte for
byte as given, and it remembers a URL it failed to fetch. Hosts that are not on loopback are
never contacted: `cdn_hosts` maps such a host to a local server, and any other host counts as
unreachable. A WebP sent as a photo becomes a sticker without its caption, as bot authors
report of Telegram.

While a webhook is set, getUpdates fails with Telegram's 409 Conflict and each pushed update
is posted to the webhook URL with the secret token header, as Telegram does. Like Telegram,
setWebhook takes only HTTPS URLs on ports 443, 80, 88 and 8443, unless `local_mode` is on, as
for a self-hosted Bot API server started with --local. Edits of a message that the fake did not
send, or that change nothing, get Telegram's errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientSession, ClientTimeout, web
from PIL import Image
from yarl import URL

from tests.fakes.loopback import start_site

from tests.fakes.telegram_html import EntityParseError, parse_html, utf16_length

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_PHOTO_URL_BYTES = 5_000_000
MAX_PHOTO_UPLOAD_BYTES = 10_000_000
MAX_DOCUMENT_URL_BYTES = 20_000_000
MAX_DOCUMENT_UPLOAD_BYTES = 50_000_000
MAX_PHOTO_DIMENSIONS_SUM = 10_000
MAX_PHOTO_ASPECT_RATIO = 20
WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})
MAX_COMMANDS = 100
MAX_COMMAND_DESCRIPTION_LENGTH = 256
_COMMAND_PATTERN = re.compile(r"^[a-z0-9_]{1,32}$")

# Parameters that python-telegram-bot sends JSON-encoded inside form fields.
_JSON_PARAMETERS = frozenset(
    {
        "media", "reply_markup", "reply_parameters", "entities", "caption_entities",
        "allowed_updates", "commands", "scope", "link_preview_options", "chat_id",
        "message_thread_id", "offset", "limit", "timeout", "message_id", "show_alert",
        "cache_time", "user_id", "disable_notification", "drop_pending_updates",
        "max_connections",
    }
)


class BotApiError(Exception):
    """An error response of the fake, in Telegram's envelope."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Fetch:
    """One download the fake made of a URL it was given."""

    url: str
    ok: bool
    size: int = 0
    reason: str = ""


@dataclass
class Call:
    """One Bot API request, with the fake's response."""

    method: str
    params: dict[str, Any]
    files: dict[str, Upload]
    at: float
    ok: bool = True
    error_code: int | None = None
    description: str | None = None
    result: Any = None
    fetches: list[Fetch] = field(default_factory=list)
    recorded: bool = False

    @property
    def chat_id(self) -> int | str | None:
        return self.params.get("chat_id")

    @property
    def thread_id(self) -> int | None:
        return self.params.get("message_thread_id")

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    @property
    def caption(self) -> str:
        return self.params.get("caption") or ""


@dataclass
class Fault:
    """A scripted failure: the next `times` matching calls get this error response.

    With `deliver`, the fake acts on the request before it responds with the error, as when
    Telegram sent a message but the response was lost. With `hang`, the fake records the
    request and then never responds, as a process killed mid-request would see it.
    """

    method: str
    error_code: int
    description: str
    parameters: dict[str, Any] | None = None
    chat_id: int | None = None
    times: int = 1
    delay: float = 0.0
    deliver: bool = False
    hang: bool = False


@dataclass
class Stall:
    """A scripted timeout: the next `times` matching calls get their response only after
    `seconds`, or when the fake stops, so that the bot times out first.

    With `deliver`, the fake acts on the request first and records it as delivered, as when
    Telegram sent the message but its response was late or lost.
    """

    method: str
    seconds: float
    deliver: bool = True
    chat_id: int | None = None
    times: int = 1


@dataclass
class WebhookDelivery:
    """One update the fake posted to the webhook, and the HTTP status it got (0: no response)."""

    update_id: int
    status: int


@dataclass
class _ChatLimiter:
    """Telegram's flood limits, as sliding windows of send times per chat and overall."""

    per_chat: dict[int | str, list[float]] = field(default_factory=dict)
    overall: list[float] = field(default_factory=list)


class FakeTelegram:
    """The fake server. Start it, point the bot at `base_url`, push updates, read `calls`."""

    def __init__(
        self,
        token: str,
        *,
        username: str = "NanoBananaTestBot",
        bot_id: int | None = None,
        cdn_hosts: dict[str, str] | None = None,
        local_mode: bool = False,
    ) -> None:
        self.token = token
        self.local_mode = local_mode
        self.username = username
        self.bot_id = bot_id if bot_id is not None else int(token.split(":", 1)[0])
        self.cdn_hosts = dict(cdn_hosts or {})
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.stalls: list[Stall] = []
        self.blocked_chats: set[int] = set()
        self.migrated_chats: dict[int, int] = {}
        self.chat_admins: dict[int, set[int]] = {}
        # Files that users sent, by file id, and the file ids downloaded from /file/bot....
        self.files: dict[str, bytes] = {}
        self.file_downloads: list[str] = []
        self.group_rate_per_minute: int | None = None
        self.overall_rate_per_second: int | None = None
        self.rate_limit_hits = 0
        # The parameters of the last successful setWebhook, or None while no webhook is set.
        self.webhook: dict[str, Any] | None = None
        self.webhook_deliveries: list[WebhookDelivery] = []
        # The command menus set with setMyCommands, by scope type and language code.
        self.command_menus: dict[tuple[str, str], list[dict[str, str]]] = {}
        # The text and inline keyboard of each text message sent, by chat id and message id.
        self.messages: dict[tuple[Any, int], dict[str, Any]] = {}
        # Seconds added before each response other than getUpdates, as a network round trip.
        self.latency = 0.0
        # time.monotonic() when getUpdates first returned each update, by update_id.
        self.update_delivered_at: dict[int, float] = {}

        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._failed_urls: dict[str, str] = {}
        self._limiter = _ChatLimiter()
        self._runner: web.AppRunner | None = None
        self._http: ClientSession | None = None
        self._closing = False
        self._stopped = asyncio.Event()
        self.base_url = ""

    async def start(self) -> str:
        app = web.Application(client_max_size=200 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download_file)
        self._runner, self.base_url = await start_site(app)
        self._http = ClientSession(timeout=ClientTimeout(total=10))
        return self.base_url

    async def stop(self) -> None:
        self._closing = True
        self._stopped.set()
        async with self._changed:
            self._changed.notify_all()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # Updates -------------------------------------------------------------------------------

    async def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates, or post it to the webhook while one is set, and
        return its update_id."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        if self.webhook is not None:
            await self._post_to_webhook(update)
            return update["update_id"]
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return update["update_id"]

    async def _post_to_webhook(self, update: dict[str, Any]) -> None:
        assert self.webhook is not None and self._http is not None
        url = self.webhook["url"]
        if urlsplit(url).hostname not in LOOPBACK_HOSTS:
            raise AssertionError(f"the fake posts only to loopback webhooks, not {url}")
        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        try:
            async with self._http.post(url, json=update, headers=headers) as response:
                status = response.status
        except (OSError, asyncio.TimeoutError):
            status = 0
        async with self._changed:
            self.webhook_deliveries.append(WebhookDelivery(update["update_id"], status))
            self._changed.notify_all()

    def next_message_id(self) -> int:
        return next(self._message_ids)

    # Reading what was sent -------------------------------------------------------------------

    def sent(self, *methods: str, chat_id: int | None = None, ok: bool | None = True) -> list[Call]:
        """Return the calls of these methods, to this chat, that succeeded (or failed)."""
        return [
            call
            for call in self.calls
            if (not methods or call.method in methods)
            and (chat_id is None or call.chat_id == chat_id)
            and (ok is None or call.ok == ok)
        ]

    def delivered_media(self) -> list[str]:
        """Return each photo or document that a successful call delivered, in order.

        An item is named by its URL, or as `upload:<file name>` when it was uploaded.
        """
        sources = []
        for call in self.sent("sendPhoto", "sendDocument", "sendMediaGroup"):
            if call.method == "sendMediaGroup":
                items = [item["media"] for item in call.params["media"]]
            else:
                field_name = "photo" if call.method == "sendPhoto" else "document"
                items = [call.params.get(field_name, f"attach://{field_name}")]
            for media in items:
                if media.startswith("attach://"):
                    media = "upload:" + call.files[media.removeprefix("attach://")].filename
                sources.append(media)
        return sources

    async def wait_for(self, predicate: Callable[[FakeTelegram], Any], timeout: float = 10.0) -> Any:
        """Wait until predicate(self) returns something truthy, and return it."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                while True:
                    result = predicate(self)
                    if result:
                        return result
                    await self._changed.wait()

    async def wait_for_calls(
        self, method: str, count: int = 1, *, chat_id: int | None = None, timeout: float = 10.0
    ) -> list[Call]:
        return await self.wait_for(
            lambda fake: (calls := fake.sent(method, chat_id=chat_id))
            and len(calls) >= count
            and calls,
            timeout=timeout,
        )

    def reset_flood_limits(self) -> None:
        """Forget earlier sends and the count of 429s, as after a quiet minute on Telegram."""
        self._limiter = _ChatLimiter()
        self.rate_limit_hits = 0

    def add_fault(self, fault: Fault) -> None:
        self.faults.append(fault)

    def add_stall(self, stall: Stall) -> None:
        self.stalls.append(stall)

    # Request handling ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error_response(401, "Unauthorized")

        params, files = await _read_parameters(request)
        call = Call(method=method, params=params, files=files, at=time.monotonic())

        if method == "getUpdates" and self.webhook is not None:
            call.ok = False
            call.error_code = 409
            call.description = (
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first"
            )
            await self._record(call)
            return _error_response(409, call.description)
        if method == "getUpdates":
            fault = _take_scripted(self.faults, call)
            if fault is not None:
                call.ok = False
                call.error_code = fault.error_code
                call.description = fault.description
                await self._record(call)
                return _error_response(fault.error_code, fault.description, fault.parameters)
            result = await self._get_updates(params)
            delivered_at = time.monotonic()
            for update in result:
                self.update_delivered_at.setdefault(update["update_id"], delivered_at)
            return web.json_response({"ok": True, "result": result})

        stall = _take_scripted(self.stalls, call)
        if stall is not None and not stall.deliver:
            call.ok = False
            call.description = "not delivered: the request stalled before Telegram read it"
            await self._record(call)
            await self._hold(stall.seconds)
            return _error_response(502, "Bad Gateway")

        try:
            result = await self._dispatch(call)
        except BotApiError as bot_error:
            call.ok = False
            call.error_code = bot_error.error_code
            call.description = bot_error.description
            await self._record(call)
            response = _error_response(
                bot_error.error_code, bot_error.description, bot_error.parameters
            )
        else:
            call.result = result
            await self._record(call)
            response = web.json_response({"ok": True, "result": result})

        if stall is not None:
            await self._hold(stall.seconds)
        if self.latency:
            await asyncio.sleep(self.latency)
        return response

    async def _hold(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopped.wait()

    async def _record(self, call: Call) -> None:
        async with self._changed:
            if not call.recorded:
                call.recorded = True
                self.calls.append(call)
            self._changed.notify_all()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        async with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout > 0 and not self._closing:
                try:
                    async with asyncio.timeout(timeout):
                        while not self._updates and not self._closing:
                            await self._changed.wait()
                except TimeoutError:
                    pass
            return list(self._updates[:100])

    async def _dispatch(self, call: Call) -> Any:
        fault = _take_scripted(self.faults, call)
        if fault is not None and fault.hang:
            await self._record(call)
            await self._stopped.wait()
            raise BotApiError(500, "Internal Server Error: the fake server stopped")
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if not fault.deliver:
                raise BotApiError(fault.error_code, fault.description, fault.parameters)

        handler = getattr(self, f"_method_{call.method}", None)
        if handler is None:
            raise BotApiError(404, "Not Found")

        chat_id = call.params.get("chat_id")
        if chat_id is not None and call.method.startswith(("send", "edit", "copy", "forward")):
            self._check_chat(chat_id)
            if call.method != "sendChatAction":
                self._check_flood(chat_id)

        result = await handler(call)
        if fault is not None and fault.deliver:
            # Telegram acted on the request, but its response never reached the bot.
            raise BotApiError(fault.error_code, fault.description, fault.parameters)
        return result

    def _check_chat(self, chat_id: Any) -> None:
        if chat_id in self.blocked_chats:
            if isinstance(chat_id, int) and chat_id > 0:
                raise BotApiError(403, "Forbidden: bot was blocked by the user")
            raise BotApiError(403, "Forbidden: bot was kicked from the group chat")
        if chat_id in self.migrated_chats:
            raise BotApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated_chats[chat_id]},
            )

    def _check_flood(self, chat_id: Any) -> None:
        now = time.monotonic()
        retry_after = 0.0

        if self.overall_rate_per_second is not None:
            window = [t for t in self._limiter.overall if now - t < 1.0]
            self._limiter.overall = window
            if len(window) >= self.overall_rate_per_second:
                retry_after = max(retry_after, 1.0 - (now - window[0]))

        is_group = isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0)
        if self.group_rate_per_minute is not None and is_group:
            window = [t for t in self._limiter.per_chat.get(chat_id, []) if now - t < 60.0]
            self._limiter.per_chat[chat_id] = window
            if len(window) >= self.group_rate_per_minute:
                retry_after = max(retry_after, 60.0 - (now - window[0]))

        if retry_after > 0:
            self.rate_limit_hits += 1
            seconds = max(1, int(retry_after + 0.999))
            raise BotApiError(
                429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
            )

        self._limiter.overall.append(now)
        if is_group:
            self._limiter.per_chat.setdefault(chat_id, []).append(now)

    # Methods ----------------------------------------------------------------------------------

    def add_file(self, file_id: str, data: bytes) -> dict[str, Any]:
        """Store a file users sent, as a PhotoSize object that messages can carry."""
        self.files[file_id] = data
        width, height = Image.open(io.BytesIO(data)).size
        return {
            "file_id": file_id,
            "file_unique_id": f"unique-{file_id}",
            "width": width,
            "height": height,
            "file_size": len(data),
        }

    async def _method_getFile(self, call: Call) -> dict[str, Any]:
        file_id = call.params.get("file_id")
        data = self.files.get(file_id)
        if data is None:
            raise BotApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"unique-{file_id}",
            "file_size": len(data),
            "file_path": f"photos/{file_id}.jpg",
        }

    async def _download_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        path = request.match_info["path"]
        file_id = path.removeprefix("photos/").removesuffix(".jpg")
        self.file_downloads.append(file_id)
        data = self.files.get(file_id)
        if data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=data, content_type="application/octet-stream")

    async def _method_getMe(self, call: Call) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Nano Banana",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _method_deleteWebhook(self, call: Call) -> bool:
        self.webhook = None
        return True

    async def _method_setWebhook(self, call: Call) -> bool:
        url = call.params.get("url") or ""
        if not url:
            self.webhook = None
            return True

        parts = urlsplit(url)
        if not self.local_mode:
            if parts.scheme != "https":
                raise BotApiError(
                    400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
                )
            if (parts.port or 443) not in WEBHOOK_PORTS:
                raise BotApiError(
                    400,
                    "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 "
                    "or 8443",
                )
        self.webhook = dict(call.params)
        return True

    async def _method_getWebhookInfo(self, call: Call) -> dict[str, Any]:
        return {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _method_setMyCommands(self, call: Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
            raise BotApiError(400, "Bad Request: too many commands specified")
        for command in commands:
            if not _COMMAND_PATTERN.fullmatch(str(command.get("command", ""))):
                raise BotApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            description = str(command.get("description", ""))
            if not 1 <= len(description) <= MAX_COMMAND_DESCRIPTION_LENGTH:
                raise BotApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.command_menus[_menu_key(call.params)] = commands
        return True

    async def _method_getMyCommands(self, call: Call) -> list[dict[str, str]]:
        return self.command_menus.get(_menu_key(call.params), [])

    async def _method_deleteMyCommands(self, call: Call) -> bool:
        self.command_menus.pop(_menu_key(call.params), None)
        return True

    async def _method_close(self, call: Call) -> bool:
        return True

    async def _method_sendChatAction(self, call: Call) -> bool:
        return True

    async def _method_answerCallbackQuery(self, call: Call) -> bool:
        return True

    async def _method_getChatMember(self, call: Call) -> dict[str, Any]:
        chat_id = call.params["chat_id"]
        user_id = call.params["user_id"]
        status = "administrator" if user_id in self.chat_admins.get(chat_id, set()) else "member"
        member: dict[str, Any] = {"status": status, "user": _user(user_id)}
        if status == "administrator":
            member.update(
                {
                    "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                    "can_delete_messages": True, "can_manage_video_chats": True,
                    "can_restrict_members": True, "can_promote_members": False,
                    "can_change_info": True, "can_invite_users": True,
                    "can_post_stories": False, "can_edit_stories": False,
                    "can_delete_stories": False,
                }
            )
        return member

    async def _method_sendMessage(self, call: Call) -> dict[str, Any]:
        text = self._parsed_text(call.params.get("text", ""), call.params.get("parse_mode"))
        length = utf16_length(text.strip())
        if length == 0:
            raise BotApiError(400, "Bad Request: message text is empty")
        if length > MAX_TEXT_LENGTH:
            raise BotApiError(400, "Bad Request: message is too long")
        return self._message(call, {"text": text})

    async def _method_editMessageText(self, call: Call) -> dict[str, Any]:
        text = self._parsed_text(call.params.get("text", ""), call.params.get("parse_mode"))
        if utf16_length(text.strip()) > MAX_TEXT_LENGTH:
            raise BotApiError(400, "Bad Request: message is too long")
        # An edit without reply_markup removes the inline keyboard.
        return self._edit_message(call, text, _keyboard(call.params))

    async def _method_editMessageReplyMarkup(self, call: Call) -> dict[str, Any]:
        stored = self._stored_message(call)
        return self._edit_message(call, stored["text"], _keyboard(call.params))

    def _stored_message(self, call: Call) -> dict[str, Any]:
        stored = self.messages.get((call.params.get("chat_id"), call.params.get("message_id")))
        if stored is None:
            raise BotApiError(400, "Bad Request: message to edit not found")
        return stored

    def _edit_message(
        self, call: Call, text: str, keyboard: dict[str, Any] | None
    ) -> dict[str, Any]:
        stored = self._stored_message(call)
        if stored["text"] == text and stored["reply_markup"] == keyboard:
            raise BotApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        stored["text"] = text
        stored["reply_markup"] = keyboard
        message: dict[str, Any] = {
            "message_id": call.params["message_id"],
            "date": int(time.time()),
            "edit_date": int(time.time()),
            "chat": _chat(call.params.get("chat_id")),
            "from": self._bot_user(),
            "text": text,
        }
        if keyboard is not None:
            message["reply_markup"] = keyboard
        return message

    async def _method_sendPhoto(self, call: Call) -> dict[str, Any]:
        caption = self._checked_caption(call.params)
        data = await self._media_bytes(call, "photo", call.params.get("photo"), is_photo=True)
        return self._message(call, self._photo_content(data, caption))

    async def _method_sendDocument(self, call: Call) -> dict[str, Any]:
        caption = self._checked_caption(call.params)
        data = await self._media_bytes(
            call, "document", call.params.get("document"), is_photo=False
        )
        document = self._document(call, data, call.params.get("document", "document"))
        return self._message(call, {"document": document, **caption})

    async def _method_sendMediaGroup(self, call: Call) -> list[dict[str, Any]]:
        media = call.params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise BotApiError(400, "Bad Request: wrong number of media items specified")

        kinds = {item.get("type") for item in media}
        if "document" in kinds and kinds != {"document"}:
            raise BotApiError(
                400, "Bad Request: document can't be mixed with other media types"
            )

        group_id = str(next(self._file_ids))
        messages = []
        for position, item in enumerate(media):
            caption = self._checked_caption(item)
            is_photo = item.get("type") == "photo"
            try:
                data = await self._media_bytes(call, "", item.get("media"), is_photo=is_photo)
            except BotApiError as bot_error:
                if bot_error.error_code == 413:
                    # The server rejects an oversized request as a whole.
                    raise
                reason = bot_error.description.removeprefix("Bad Request: ")
                raise BotApiError(
                    bot_error.error_code,
                    f'Bad Request: failed to send message #{position + 1} with the error '
                    f'message "{reason}"',
                ) from None
            if is_photo:
                content = self._photo_content(data, caption)
            else:
                document = self._document(call, data, item.get("media"))
                content = {"document": document, **caption}
            message = self._message(call, {**content, "media_group_id": group_id})
            messages.append(message)
        return messages

    # Helpers ------------------------------------------------------------------------------------

    def _parsed_text(self, text: str, parse_mode: str | None) -> str:
        if parse_mode and parse_mode.upper() == "HTML":
            try:
                return parse_html(text)
            except EntityParseError as error:
                raise BotApiError(400, str(error)) from None
        return text

    def _checked_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        caption = params.get("caption")
        if not caption:
            return {}
        text = self._parsed_text(caption, params.get("parse_mode"))
        if utf16_length(text.strip()) > MAX_CAPTION_LENGTH:
            raise BotApiError(400, "Bad Request: message caption is too long")
        return {"caption": text}

    async def _media_bytes(
        self, call: Call, field_name: str, media: Any, *, is_photo: bool
    ) -> bytes:
        """Return the bytes of a photo or document given as a URL or an upload, checked."""
        if isinstance(media, str) and media.startswith(("http://", "https://")):
            data = await self._fetch(call, media, is_photo=is_photo)
        else:
            name = media.removeprefix("attach://") if isinstance(media, str) else field_name
            upload = call.files.get(name)
            if upload is None:
                raise BotApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            data = upload.data
            limit = MAX_PHOTO_UPLOAD_BYTES if is_photo else MAX_DOCUMENT_UPLOAD_BYTES
            if len(data) > limit:
                raise BotApiError(413, "Request Entity Too Large")

        if is_photo:
            _check_photo(data)
        return data

    async def _fetch(self, call: Call, url: str, *, is_photo: bool) -> bytes:
        if url in self._failed_urls:
            raise BotApiError(400, self._failed_urls[url])

        limit = MAX_PHOTO_URL_BYTES if is_photo else MAX_DOCUMENT_URL_BYTES
        target = self._local_url(url)
        failure = ""
        data = b""
        if target is None:
            failure = "Bad Request: failed to get HTTP URL content"
        else:
            assert self._http is not None
            try:
                # encoded=True keeps the URL's escapes as given instead of normalizing them.
                async with self._http.get(
                    URL(target, encoded=True), allow_redirects=True
                ) as response:
                    # read(n) returns what has arrived so far, so read until past the limit.
                    received = bytearray()
                    async for chunk in response.content.iter_chunked(64 * 1024):
                        received += chunk
                        if len(received) > limit:
                            break
                    data = bytes(received)
                    content_type = response.headers.get("content-type", "")
                    if response.status != 200:
                        failure = "Bad Request: failed to get HTTP URL content"
                    elif len(data) > limit:
                        failure = "Bad Request: failed to get HTTP URL content"
                    elif is_photo and not content_type.startswith("image/"):
                        failure = "Bad Request: wrong type of the web page content"
            except (OSError, asyncio.TimeoutError):
                failure = "Bad Request: failed to get HTTP URL content"

        call.fetches.append(Fetch(url=url, ok=not failure, size=len(data), reason=failure))
        if failure:
            self._failed_urls[url] = failure
            raise BotApiError(400, failure)
        return data

    def _local_url(self, url: str) -> str | None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host in LOOPBACK_HOSTS:
            return url
        local_root = self.cdn_hosts.get(host)
        if local_root is None:
            return None
        # Keep the path and query byte for byte, as they were given.
        rest = url[len(f"{parts.scheme}://{parts.netloc}") :]
        return local_root.rstrip("/") + rest

    def _photo_content(self, data: bytes, caption: dict[str, Any]) -> dict[str, Any]:
        # NOTE: bot authors report that Telegram turns a WebP sent as a photo into a sticker
        # and drops the caption. The Bot API documentation does not say so.
        if Image.open(io.BytesIO(data)).format == "WEBP":
            return {"sticker": self._sticker(data)}
        return {"photo": self._photo_sizes(data), **caption}

    def _sticker(self, data: bytes) -> dict[str, Any]:
        width, height = Image.open(io.BytesIO(data)).size
        file_id = next(self._file_ids)
        return {
            "file_id": f"sticker-{file_id}",
            "file_unique_id": f"unique-sticker-{file_id}",
            "type": "regular",
            "width": width,
            "height": height,
            "is_animated": False,
            "is_video": False,
            "file_size": len(data),
        }

    def _photo_sizes(self, data: bytes) -> list[dict[str, Any]]:
        width, height = Image.open(io.BytesIO(data)).size
        file_id = next(self._file_ids)
        return [
            {
                "file_id": f"photo-{file_id}",
                "file_unique_id": f"unique-photo-{file_id}",
                "width": width,
                "height": height,
                "file_size": len(data),
            }
        ]

    def _document(self, call: Call, data: bytes, media: Any) -> dict[str, Any]:
        file_id = next(self._file_ids)
        name = media.removeprefix("attach://") if isinstance(media, str) else "document"
        upload = call.files.get(name)
        return {
            "file_id": f"document-{file_id}",
            "file_unique_id": f"unique-document-{file_id}",
            "file_name": upload.filename if upload else "file",
            "mime_type": upload.content_type if upload else "application/octet-stream",
            "file_size": len(data),
        }

    def _message(self, call: Call, content: dict[str, Any]) -> dict[str, Any]:
        chat_id = call.params.get("chat_id")
        message: dict[str, Any] = {
            "message_id": self.next_message_id(),
            "date": int(time.time()),
            "chat": _chat(chat_id),
            "from": self._bot_user(),
            **content,
        }
        thread_id = call.params.get("message_thread_id")
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if call.params.get("reply_markup"):
            message["reply_markup"] = call.params["reply_markup"]
        if "text" in content:
            self.messages[(chat_id, message["message_id"])] = {
                "text": content["text"],
                "reply_markup": _keyboard(call.params),
            }
        return message

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Nano Banana",
                "username": self.username}


def _take_scripted(scripts: list[Any], call: Call) -> Any:
    """Take the first Fault or Stall that matches the call, counting down its `times`."""
    for script in scripts:
        if script.method != call.method:
            continue
        if script.chat_id is not None and script.chat_id != call.params.get("chat_id"):
            continue
        script.times -= 1
        if script.times <= 0:
            scripts.remove(script)
        return script
    return None


def _menu_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") or {}
    return str(scope.get("type", "default")), str(params.get("language_code") or "")


def _keyboard(params: dict[str, Any]) -> dict[str, Any] | None:
    """Return the inline keyboard of a request, or None when it has none or an empty one."""
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and markup.get("inline_keyboard"):
        return markup
    return None


def _check_photo(data: bytes) -> None:
    try:
        image = Image.open(io.BytesIO(data))
        image.verify()
    except Exception:
        raise BotApiError(400, "Bad Request: IMAGE_PROCESS_FAILED") from None
    if image.format not in ("JPEG", "PNG", "GIF", "BMP", "WEBP", "TIFF"):
        raise BotApiError(400, "Bad Request: PHOTO_INVALID")
    width, height = image.size
    if width + height > MAX_PHOTO_DIMENSIONS_SUM:
        raise BotApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
    if max(width, height) / max(1, min(width, height)) > MAX_PHOTO_ASPECT_RATIO:
        raise BotApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")


async def _read_parameters(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    params: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        return dict(body or {}), files

    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = Upload(value.filename, value.content_type, value.file.read())
        else:
            params[name] = _decode_value(name, value)
    return params, files


def _decode_value(name: str, value: str) -> Any:
    if name in _JSON_PARAMETERS:
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _error_response(
    error_code: int, description: str, parameters: dict[str, Any] | None = None
) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": error_code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=error_code)


def _chat(chat_id: Any) -> dict[str, Any]:
    if isinstance(chat_id, int) and chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Tester"}
    if isinstance(chat_id, int) and chat_id <= -1_000_000_000_000:
        return {"id": chat_id, "type": "supergroup", "title": "Team"}
    if isinstance(chat_id, int):
        return {"id": chat_id, "type": "group", "title": "Team"}
    return {"id": -1001, "type": "channel", "title": str(chat_id)}


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
