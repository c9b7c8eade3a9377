"""Typed SQLAlchemy models: the whole supportbot schema, one module per area.

Every model registers on ``Base.metadata`` when its module is imported here, so importing
``storage.models`` is all alembic and the repositories need. A new area adds its module and
one import line below.
"""

from storage.models.answers import AnswerChoice
from storage.models.base import NAMING_CONVENTION, Base, UTCDateTime, utcnow
from storage.models.console import ConsoleLogin
from storage.models.conversations import ChatSession, Feedback, Message, SessionState, User
from storage.models.delivery import (
    ChannelState,
    InboxItem,
    InboxState,
    OutboxItem,
    OutboxState,
)
from storage.models.documents import HEADING_SEPARATOR, Document, Passage, Source
from storage.models.faq import FaqEntry, FaqRevision
from storage.models.fleet import JobRun, Lease
from storage.models.prompts import PromptRevision, PromptTemplate

__all__ = [
    "HEADING_SEPARATOR",
    "NAMING_CONVENTION",
    "AnswerChoice",
    "Base",
    "ChannelState",
    "ChatSession",
    "ConsoleLogin",
    "Document",
    "FaqEntry",
    "FaqRevision",
    "Feedback",
    "InboxItem",
    "InboxState",
    "JobRun",
    "Lease",
    "Message",
    "OutboxItem",
    "OutboxState",
    "Passage",
    "PromptRevision",
    "PromptTemplate",
    "SessionState",
    "Source",
    "UTCDateTime",
    "User",
    "utcnow",
]
