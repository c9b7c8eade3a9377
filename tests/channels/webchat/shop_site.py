"""The sample shop page the browser tests load (on its own port of 127.0.0.1, the web chat's
script tag in it), the uvicorn helper that serves it, and where Debian's chromium is."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
SHOP_PAGE = """<!doctype html><html lang="en"><head><title>Acme shop</title>
<style>button { background: red !important; font-size: 40px !important; }</style></head>
<body><h1>Acme shop</h1><p>Shoes, bags and more.</p>
<script src="{chat}/widget.js" async data-title="Acme help" data-colour="#0b5394"></script>
</body></html>"""


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """``app`` served by uvicorn on a free port of 127.0.0.1 while the block runs."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


def shop(chat_url: list[str]) -> Starlette:
    """The shop's page, its script tag pointing at ``chat_url[0]`` (known once it serves)."""

    async def page(_: Any) -> HTMLResponse:
        return HTMLResponse(SHOP_PAGE.replace("{chat}", chat_url[0]))

    return Starlette(routes=[Route("/", page)])
