"""The web chat's HTTP side: ``/widget.js``, a visitor token, messages up, events down.

- ``GET /widget.js``: the widget (our own script, gzipped when the browser accepts it).
- ``POST /api/visitor``: a visitor token (anonymous, or for a customer the shop signed).
- ``POST /api/messages``: one update from the widget (a question, a pick, 👍/👎, a menu item),
  stored in the durable inbox *before* the 202 is sent; the same client id twice is stored once.
- ``GET /api/events``: the visitor's events as server-sent events (see ``events``).
- ``POST /api/confirm``: the browser holds every event up to an id.

Server-sent events rather than a WebSocket: replies only flow down, SSE is plain HTTP that every
proxy, HTTP/2 and the shop's HTTPS set-up already carry, and the browser's ``EventSource``
reconnects by itself and sends ``Last-Event-ID``, which is exactly the resume point the outbox
needs; messages up are ordinary POSTs whose 202 means "stored".
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.channels.webchat.actions import WebActions
from bot.channels.webchat.events import RETRY_MS, event_stream
from bot.channels.webchat.guard import Guard
from bot.channels.webchat.identity import Identities, IdentityRefused, Visitor
from bot.channels.webchat.limits import RateLimit
from bot.channels.webchat.live import LiveStreams
from bot.channels.webchat.worker import WebWorker
from bot.conversation.exchange import parse_entry_ref
from bot.delivery import DeliveryService, Received

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 8192
MAX_TEXT_CHARS = 2000
KINDS = ("text", "choice", "feedback", "human", "bot", "reset", "forget")


@dataclass
class WebChat:
    """Everything the web chat's handlers reach."""

    delivery: DeliveryService
    identities: Identities
    live: LiveStreams
    worker: WebWorker
    actions: WebActions
    allowed_origins: tuple[str, ...]
    per_visitor: RateLimit
    per_address: RateLimit
    new_visitors: RateLimit
    stream_poll_seconds: float = 25.0  # also the keep-alive (proxies time out at 60 s)
    streams_per_visitor: int = 8  # open event streams (tabs) one visitor may hold at once


def _json(data: Any, status: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(data, status, headers=headers or None)


def _chat(request: Request) -> WebChat:
    chat: WebChat = request.app.state.chat
    return chat


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _limited(seconds: float) -> JSONResponse:
    return _json({"error": "too many requests"}, 429, **{"retry-after": str(int(seconds) + 1)})


def visitor_of(request: Request, token: str | None = None) -> Visitor | None:
    """The visitor the request's bearer token (or ``token``) names, None when it is not ours."""
    if token is None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
    try:
        return _chat(request).identities.verify(token.strip())
    except IdentityRefused:
        return None


async def _read_json(request: Request) -> dict[str, Any] | Response:
    """The body as a JSON object, or the response refusing it (too big, not JSON)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        return _json({"error": "message too large"}, 413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return _json({"error": "message too large"}, 413)
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return _json({"error": "not JSON"}, 400)
    return data if isinstance(data, dict) else _json({"error": "not a JSON object"}, 400)


async def widget_js(request: Request) -> Response:
    """GET /widget.js"""
    plain, packed = request.app.state.widget
    headers = {"cache-control": "public, max-age=300", "vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(packed, media_type="text/javascript", headers=headers)
    return Response(plain, media_type="text/javascript", headers=headers)


async def new_visitor(request: Request) -> Response:
    """POST /api/visitor: {customer_id?, signature?} -> {token}"""
    chat = _chat(request)
    wait = chat.new_visitors.allow(_address(request))
    if wait:
        return _limited(wait)
    data = await _read_json(request)
    if isinstance(data, Response):
        return data
    customer = str(data.get("customer_id") or "")
    if not customer:
        return _json({"token": chat.identities.anonymous()})
    try:
        token = chat.identities.customer(customer, str(data.get("signature") or ""))
    except IdentityRefused as refused:
        return _json({"error": str(refused)}, 403)
    return _json({"token": token})


def _update(visitor: Visitor, data: dict[str, Any]) -> dict[str, Any] | str:
    """The payload to store for one widget update, or why it is refused."""
    kind = data.get("kind", "text")
    if kind not in KINDS:
        return "unknown kind"
    payload: dict[str, Any] = {"kind": kind}
    lang = data.get("lang")
    if isinstance(lang, str) and len(lang) <= 16:
        payload["lang"] = lang
    if kind == "text":
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            return "empty message"
        if len(text) > MAX_TEXT_CHARS:
            return f"message longer than {MAX_TEXT_CHARS} characters"
        payload["text"] = text
    for field in ("question_id", "entry_id", "message_id", "rating"):
        if field == "entry_id" and isinstance(data.get(field), str):  # a passage: "p12"
            try:
                payload[field] = parse_entry_ref(data[field])
            except ValueError:
                return "entry_id must be an entry's reference"
        elif field in data:
            if not isinstance(data[field], int) or isinstance(data[field], bool):
                return f"{field} must be a number"
            payload[field] = data[field]
    if isinstance(data.get("label"), str):
        payload["label"] = data["label"][:300]
    needed = {"choice": ("question_id", "entry_id"), "feedback": ("message_id", "rating")}
    if any(f not in payload for f in needed.get(kind, ())):
        return "missing fields"
    return payload


async def post_message(request: Request) -> Response:
    """POST /api/messages: stored in the inbox before the answer (202)."""
    chat = _chat(request)
    visitor = visitor_of(request)
    if visitor is None:
        return _json({"error": "no valid visitor token"}, 401)
    for limit, key in (
        (chat.per_address, _address(request)),
        (chat.per_visitor, str(visitor.user_id)),
    ):
        wait = limit.allow(key)
        if wait:
            return _limited(wait)
    data = await _read_json(request)
    if isinstance(data, Response):
        return data
    client_id = str(data.get("id") or secrets.token_hex(8))[:64]
    payload = _update(visitor, data)
    if isinstance(payload, str):
        status = 413 if payload.startswith("message longer") else 400
        return _json({"error": payload}, status)
    payload["cid"] = client_id  # the widget matches the events to its pending message
    key = f"w:{visitor.user_id}:{client_id}"
    received = Received(hash_id(key), key, visitor.user_id, payload, chat.delivery.clock())
    await chat.delivery.store([received])
    chat.worker.notify()
    return _json({"stored": True, "id": client_id}, 202)


def hash_id(key: str) -> int:
    """A stable 62-bit update id for a dedup key (the inbox wants both unique per channel)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 2


async def events(request: Request) -> Response:
    """GET /api/events?token=…&after=N (``Last-Event-ID`` wins on a reconnect)."""
    visitor = visitor_of(request, request.query_params.get("token", ""))
    if visitor is None:
        return _json({"error": "no valid visitor token"}, 401)
    chat = _chat(request)
    if chat.live.open_for(visitor.user_id) >= chat.streams_per_visitor:
        return _limited(RETRY_MS / 1000)  # a tab too many: the widget tries again later
    raw = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
    after = int(raw) if raw.isdigit() else 0
    return event_stream(chat, visitor.user_id, after)


async def confirm(request: Request) -> Response:
    """POST /api/confirm {upto}: the browser holds every event up to ``upto``."""
    visitor = visitor_of(request)
    if visitor is None:
        return _json({"error": "no valid visitor token"}, 401)
    data = await _read_json(request)
    if isinstance(data, Response):
        return data
    upto = data.get("upto")
    if not isinstance(upto, int) or upto < 0:
        return _json({"error": "upto must be a number"}, 400)
    return _json({"confirmed": await _chat(request).delivery.confirm(visitor.user_id, upto)})


def load_widget() -> tuple[bytes, bytes]:
    """The widget script, plain and gzipped (read once)."""
    plain = (STATIC / "widget.js").read_bytes()
    return plain, gzip.compress(plain, compresslevel=9, mtime=0)


def create_app(chat: WebChat) -> Starlette:
    routes = [
        Route("/widget.js", widget_js, methods=["GET"]),
        Route("/api/visitor", new_visitor, methods=["POST", "OPTIONS"]),
        Route("/api/messages", post_message, methods=["POST", "OPTIONS"]),
        Route("/api/events", events, methods=["GET", "OPTIONS"]),
        Route("/api/confirm", confirm, methods=["POST", "OPTIONS"]),
    ]
    app = Starlette(
        routes=routes, middleware=[Middleware(Guard, allowed_origins=chat.allowed_origins)]
    )
    app.state.chat = chat
    app.state.widget = load_widget()
    return app
