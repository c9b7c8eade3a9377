"""Admin-edited prompt templates and their revisions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, UTCDateTime, utcnow


class PromptTemplate(Base):
    """An admin-edited template (e.g. the system prompt) overriding the file in ``prompts/``."""

    __tablename__ = "prompt_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    revisions: Mapped[list[PromptRevision]] = relationship(
        back_populates="template", cascade="all, delete-orphan", order_by="PromptRevision.revision"
    )


class PromptRevision(Base):
    """One saved version of a prompt template."""

    __tablename__ = "prompt_revisions"
    __table_args__ = (UniqueConstraint("template_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("prompt_templates.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str | None] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    template: Mapped[PromptTemplate] = relationship(back_populates="revisions")
