"""What a Telegram webhook set-up must look like, checked once at start by ``Settings``.

Telegram's own Bot API only calls ``https://`` URLs (on ports 443, 80, 88 or 8443). A
self-hosted Bot API server (``telegram-bot-api --local``, reached through
``SUPPORTBOT_TELEGRAM_BASE_URL``) calls plain ``http://`` URLs on any address and port, which
is how it usually reaches a bot on the same machine or network, so ``http://`` is accepted
there and only there. The secret is required either way: without it anyone who can reach the
endpoint can post fake updates.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

ENV_PREFIX = "SUPPORTBOT_"
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
TELEGRAM_API_HOST = "api.telegram.org"


def is_self_hosted(base_url: str) -> bool:
    """The Bot API is a server of the business's own, not Telegram's ``api.telegram.org``."""
    return (urlsplit(base_url).hostname or "").lower() != TELEGRAM_API_HOST


def webhook_problem(url: str, secret: str, base_url: str) -> str | None:
    """One line naming the setting that is wrong, or None when the set-up is valid."""
    schemes = ("https://", "http://") if is_self_hosted(base_url) else ("https://",)
    if not url.startswith(schemes):
        if is_self_hosted(base_url):
            return f"{ENV_PREFIX}WEBHOOK_URL: must start with http:// or https://"
        return (
            f"{ENV_PREFIX}WEBHOOK_URL: Telegram only calls https:// URLs "
            f"(http:// works with a self-hosted Bot API in {ENV_PREFIX}TELEGRAM_BASE_URL)"
        )
    if not secret:
        return (
            f"{ENV_PREFIX}WEBHOOK_SECRET: required when {ENV_PREFIX}WEBHOOK_URL is set "
            "(without it anyone can post fake updates)"
        )
    if not WEBHOOK_SECRET_PATTERN.fullmatch(secret):
        return (
            f"{ENV_PREFIX}WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and - "
            "(what Telegram accepts)"
        )
    return None
