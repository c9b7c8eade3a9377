"""Who a web chat visitor is: a signed visitor token, and a shop-signed customer id.

A visitor token is ``<kind>.<id>.<signature>``: ``kind`` is ``a`` (anonymous, a random id) or
``c`` (a logged-in customer of the shop), ``id`` the user id the conversation knows them by,
and the signature an HMAC-SHA256 of both under the widget key (``SUPPORTBOT_WIDGET_SECRET``,
else a key generated once into the data dir). The widget keeps the token in localStorage, so
the conversation survives a reload and a new tab; nobody can make a token for another id.

A shop that knows its logged-in customer can sign their id with the secret it shares with us
(``SUPPORTBOT_WIDGET_IDENTITY_SECRET``; ``hmac_sha256(secret, customer_id)`` in hex, like
Intercom's identity verification): the same customer then has the same conversation on every
device. Web visitor ids lie in [2**62, 2**63), far above any Telegram chat id, so a reply
meant for a web visitor can never reach a Telegram chat by mistake.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings

ID_FLOOR = 1 << 62  # web visitor ids: [2**62, 2**63)
KEY_BYTES = 32
CUSTOMER_ID_MAX = 200


class IdentityRefused(Exception):
    """A token or a customer signature that does not verify."""


@dataclass(frozen=True, slots=True)
class Visitor:
    """One verified visitor: the user and chat id of their conversation."""

    user_id: int
    customer: bool  # signed by the shop's backend (not an anonymous browser)


def is_web_visitor(chat_id: int) -> bool:
    """True for the chat ids the web chat gives out (and no Telegram chat has)."""
    return chat_id >= ID_FLOOR


def widget_key(settings: Settings) -> bytes:
    """The configured key, else one generated once into ``widget_secret_file`` (owner-only)."""
    if settings.widget_secret is not None:
        return settings.widget_secret.get_secret_value().encode()
    path = Path(settings.widget_secret_file)
    if path.is_file():
        stored = path.read_text(encoding="utf-8").strip()
        if len(stored) >= KEY_BYTES:
            return stored.encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_hex(KEY_BYTES)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(generated + "\n")
    return generated.encode()


def customer_signature(secret: str, customer_id: str) -> str:
    """What the shop's backend computes for a logged-in customer (hex HMAC-SHA256)."""
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


class Identities:
    """Issues and verifies visitor tokens."""

    def __init__(self, key: bytes, identity_secret: str | None = None) -> None:
        self._key = key
        self._identity_secret = identity_secret

    @classmethod
    def from_settings(cls, settings: Settings) -> Identities:
        shared = settings.widget_identity_secret
        return cls(widget_key(settings), shared.get_secret_value() if shared else None)

    def _sign(self, kind: str, user_id: int) -> str:
        message = f"{kind}.{user_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:40]

    def _token(self, kind: str, user_id: int) -> str:
        return f"{kind}.{user_id}.{self._sign(kind, user_id)}"

    def anonymous(self) -> str:
        """A token for a new anonymous visitor."""
        return self._token("a", ID_FLOOR + secrets.randbits(62))

    def customer(self, customer_id: str, signature: str) -> str:
        """A token for the shop's customer ``customer_id``, if the shop signed it."""
        if self._identity_secret is None:
            raise IdentityRefused("customer ids are not enabled (no identity secret)")
        if not customer_id or len(customer_id) > CUSTOMER_ID_MAX:
            raise IdentityRefused("no customer id, or a too long one")
        expected = customer_signature(self._identity_secret, customer_id)
        if not hmac.compare_digest(expected, signature.lower()):
            raise IdentityRefused("the customer signature does not verify")
        digest = hashlib.sha256(b"customer:" + customer_id.encode()).digest()
        return self._token("c", ID_FLOOR + (int.from_bytes(digest[:8], "big") >> 2))

    def verify(self, token: str) -> Visitor:
        """The visitor a token names; IdentityRefused when it was not made with our key."""
        kind, _, rest = token.partition(".")
        raw_id, _, signature = rest.partition(".")
        if kind not in ("a", "c") or not raw_id.isdigit() or len(raw_id) > 19:
            raise IdentityRefused("not a visitor token")
        user_id = int(raw_id)
        if not is_web_visitor(user_id) or user_id >= 1 << 63:
            raise IdentityRefused("not a visitor token")
        if not hmac.compare_digest(self._sign(kind, user_id), signature):
            raise IdentityRefused("the visitor token does not verify")
        return Visitor(user_id, kind == "c")
