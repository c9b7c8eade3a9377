"""Customers' answers to "did you mean…": which offered FAQ entry they picked for a question.

A pick is a customer telling us which entry their wording meant; admins see it under
``/unanswered`` as a one-tap phrasing suggestion for that entry.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class AnswerChoice(Base):
    """One pick: the customer's question (a message) and the entry they chose."""

    __tablename__ = "answer_choices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    faq_entry_id: Mapped[int] = mapped_column(
        ForeignKey("faq_entries.id", ondelete="CASCADE"), index=True
    )
    offered: Mapped[list[int]] = mapped_column(JSON, default=list)  # the entries shown
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
