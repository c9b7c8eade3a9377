"""What every request passes: allowed origins only, a size cap, rate limits, strict headers;
and the widget script itself: small, and never parsing text as HTML."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
from typing import Any

from sqlalchemy import func, select

from bot.channels.webchat.app import MAX_TEXT_CHARS, STATIC
from storage.models import InboxItem
from tests.channels.webchat.conftest import QUESTION, SHOP, Served

WIDGET_LIMIT_BYTES = 15 * 1024


async def _stored(served: Served) -> int:
    async with served.app.session_factory() as s:
        count = await s.scalar(select(func.count(InboxItem.id)).where(InboxItem.channel == "web"))
    return int(count or 0)


async def test_a_page_from_another_origin_is_refused(served: Served) -> None:
    token = await served.visitor()
    evil = {"origin": "http://evil.test", "authorization": f"Bearer {token}"}
    body = {"id": "x", "kind": "text", "text": QUESTION}
    refused = await served.client.post("/api/messages", json=body, headers=evil)
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    stream = await served.client.get("/api/events", params={"token": token}, headers=evil)
    assert stream.status_code == 403
    assert await _stored(served) == 0
    preflight = await served.client.options(
        "/api/messages",
        headers={"origin": SHOP, "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == SHOP
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    allowed = await served.say(token, QUESTION, "ok")
    assert allowed.status_code == 202 and allowed.headers["access-control-allow-origin"] == SHOP
    assert await _stored(served) == 1


async def test_too_large_messages_are_refused_before_they_are_stored(served: Served) -> None:
    token = await served.visitor()
    long_text = await served.say(token, "x" * (MAX_TEXT_CHARS + 1), "long")
    assert long_text.status_code == 413
    huge = await served.client.post(
        "/api/messages",
        content=b'{"text": "' + b"y" * 20_000 + b'"}',
        headers={"origin": SHOP, "authorization": f"Bearer {token}"},
    )
    assert huge.status_code == 413
    assert (await served.say(token, "x" * MAX_TEXT_CHARS, "fits")).status_code == 202
    assert await _stored(served) == 1


async def test_a_visitor_sending_too_fast_is_told_to_wait(served: Served) -> None:
    token = await served.visitor()
    statuses = [(await served.say(token, f"hello {i}", f"m{i}")).status_code for i in range(12)]
    assert statuses[:10] == [202] * 10
    assert statuses[10] == 429
    limited = await served.say(token, "again", "m99")
    assert int(limited.headers["retry-after"]) >= 1
    other = await served.visitor()  # another visitor is not held up by the first
    assert (await served.say(other, "hello", "o1")).status_code == 202


async def test_what_we_serve_carries_a_strict_policy_and_no_cookies(served: Served) -> None:
    script = await served.client.get("/widget.js", headers={"accept-encoding": "gzip"})
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["content-encoding"] == "gzip"
    token = await served.visitor()
    api = await served.say(token, QUESTION, "h1")
    for response in (script, api):
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "set-cookie" not in response.headers


def test_the_widget_script_is_small_and_shows_text_only() -> None:
    source = (STATIC / "widget.js").read_bytes()
    packed = len(gzip.compress(source, compresslevel=9))
    print(f"widget.js: {len(source)} bytes, {packed} bytes gzipped (limit {WIDGET_LIMIT_BYTES})")
    assert packed <= WIDGET_LIMIT_BYTES
    text = source.decode()
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert unsafe not in text, unsafe
    assert 'attachShadow({ mode: "open" })' in text


async def test_a_visitor_holds_a_few_event_streams_at_most(served: Served) -> None:
    served.chat.streams_per_visitor = 2
    token = await served.visitor()

    def stream(who: str) -> Any:
        params = {"token": who, "after": "0"}
        return served.client.stream("GET", "/api/events", params=params, headers={"origin": SHOP})

    async with contextlib.AsyncExitStack() as tabs:
        reading = []  # kept: a line reader dropped half-way closes its stream
        for _ in range(2):  # two tabs, each stream listening once its first line arrives
            response = await tabs.enter_async_context(stream(token))
            assert response.status_code == 200
            reading.append(response.aiter_lines())
            assert (await anext(reading[-1])).startswith("retry:")
        async with stream(token) as third:
            assert third.status_code == 429 and int(third.headers["retry-after"]) >= 1
        async with stream(await served.visitor()) as someone_else:
            assert someone_else.status_code == 200
    deadline = asyncio.get_running_loop().time() + 10
    while served.chat.live.listening():  # the closed tabs' streams end
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)
    async with stream(token) as again:
        assert again.status_code == 200
