"""Web console logins: one row per one-time login link, so a link works once and no more."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class ConsoleLogin(Base):
    """A login link issued to an admin; ``used_at`` is set when it is redeemed (then refused)."""

    __tablename__ = "console_logins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[str] = mapped_column(String(64), unique=True)  # the link's random part
    admin_id: Mapped[int] = mapped_column(BigInteger)  # Telegram user id of the admin
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
