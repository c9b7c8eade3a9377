"""One-time login links for the admin web console, and the key that signs them.

A link carries a signed, timestamped token naming the admin and a random id. It is valid for
a few minutes and works once: the id is stored when the link is issued and marked used when it
is redeemed (one conditional UPDATE, so two tabs cannot both sign in with it). Only the admins
of ``SUPPORTBOT_ADMIN_IDS`` get or redeem links, checked again at redemption so a removed admin's
old link is refused. Issued by ``supportbot console-link`` and by ``/console`` in Telegram.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from storage.repositories import console_logins

LINK_SALT = "supportbot-console-login"
SECRET_BYTES = 32


class LoginRefused(Exception):
    """A login link that cannot be used; ``reason`` is shown to the visitor."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def console_secret(settings: Settings) -> str:
    """The key signing cookies and links: the configured one, else one generated once into
    ``console_secret_file`` (readable by the owner only) so restarts keep sessions valid."""
    if settings.console_secret is not None:
        return settings.console_secret.get_secret_value()
    path = Path(settings.console_secret_file)
    if path.is_file():
        stored = path.read_text(encoding="utf-8").strip()
        if len(stored) >= SECRET_BYTES:
            return stored
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_hex(SECRET_BYTES)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(generated + "\n")
    return generated


def console_base_url(settings: Settings) -> str:
    """Where admins reach the console: the public URL, else the local listen address."""
    if settings.console_url:
        return settings.console_url.rstrip("/")
    port = settings.console_port or 8080
    return f"http://{settings.console_listen}:{port}"


@dataclass(frozen=True, slots=True)
class LinkPolicy:
    """Who may sign in and for how long a link is valid."""

    admin_ids: Collection[int]
    link_minutes: int


class ConsoleLogins:
    """Issue and redeem one-time console login links."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        secret: str,
        policy: LinkPolicy,
        base_url: str,
    ) -> None:
        self.session_factory = session_factory
        self.policy = policy
        self.base_url = base_url.rstrip("/")
        self._serializer = URLSafeTimedSerializer(secret, salt=LINK_SALT)

    @classmethod
    def from_settings(
        cls, settings: Settings, session_factory: async_sessionmaker[AsyncSession]
    ) -> ConsoleLogins:
        return cls(
            session_factory,
            secret=console_secret(settings),
            policy=LinkPolicy(settings.admin_ids, settings.console_link_minutes),
            base_url=console_base_url(settings),
        )

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.policy.admin_ids

    async def issue_link(self, admin_id: int) -> str:
        """A fresh one-time login URL for ``admin_id``; LoginRefused for a non-admin."""
        if not self.is_admin(admin_id):
            raise LoginRefused(f"{admin_id} is not in SUPPORTBOT_ADMIN_IDS")
        token_id = secrets.token_urlsafe(16)
        async with self.session_factory() as session, session.begin():
            await console_logins.issue(session=session, token_id=token_id, admin_id=admin_id)
        token = self._serializer.dumps({"admin": admin_id, "id": token_id})
        return f"{self.base_url}/login/{token}"

    def check(self, token: str) -> tuple[int, str]:
        """(admin id, token id) of a well-signed, unexpired link by an admin; else LoginRefused."""
        try:
            data = self._serializer.loads(token, max_age=self.policy.link_minutes * 60)
        except SignatureExpired:
            raise LoginRefused("This login link has expired. Ask the bot for a new one.") from None
        except BadSignature:
            raise LoginRefused("This login link is not valid.") from None
        admin_id, token_id = int(data["admin"]), str(data["id"])
        if not self.is_admin(admin_id):
            raise LoginRefused("This account is not an administrator.")
        return admin_id, token_id

    async def redeem(self, token: str) -> int:
        """The admin id the link signs in; LoginRefused if expired, forged or used before."""
        admin_id, token_id = self.check(token)
        async with self.session_factory() as session, session.begin():
            issued = await console_logins.get(session=session, token_id=token_id)
            if issued is None or issued.admin_id != admin_id:
                raise LoginRefused("This login link is not valid.")
            if not await console_logins.redeem(session=session, token_id=token_id):
                raise LoginRefused("This login link was already used. Ask for a new one.")
        return admin_id
