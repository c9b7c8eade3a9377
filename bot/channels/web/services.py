"""What the console's pages reach through ``request.app.state.console``: built once per app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.admin.console_faq import FaqConsole
from bot.admin.console_logins import ConsoleLogins
from bot.admin.console_views import ConsoleQueries
from bot.admin.documents_admin import DocumentsAdmin
from bot.admin.preview import AnswerPreview
from bot.admin.service import AdminService
from bot.config import Settings
from bot.conversation.handoff import CustomerMessenger, HandoffService
from bot.conversation.texts import Texts

AUTHOR_PREFIX = "console:"


@dataclass(slots=True)
class ConsoleServices:
    """The use cases the console calls, and the port to customers (None: no channel to
    deliver through, e.g. ``supportbot console`` without a Telegram token)."""

    settings: Settings
    admin: AdminService
    faq: FaqConsole
    queries: ConsoleQueries
    logins: ConsoleLogins
    preview: AnswerPreview
    documents: DocumentsAdmin
    handoff: HandoffService
    texts: Texts
    messenger: CustomerMessenger | None = None

    @classmethod
    def from_app(
        cls, app: Any, settings: Settings, messenger: CustomerMessenger | None = None
    ) -> ConsoleServices:
        """Pick the console's services from the composition root (``bot.app.App``)."""
        preview = AnswerPreview(
            app.catalog.index,
            app.texts,
            default_language=settings.default_language,
            limits=app.conversation.limits,
        )
        return cls(
            settings=settings,
            admin=app.admin,
            faq=FaqConsole(app.admin),
            queries=ConsoleQueries(app.session_factory),
            logins=ConsoleLogins.from_settings(settings, app.session_factory),
            preview=preview,
            # Uploaded help-centre files are kept beside the console's key (./data/documents).
            documents=DocumentsAdmin(
                app.documents, preview, settings.console_secret_file.parent / "documents"
            ),
            handoff=app.handoff,
            texts=app.texts,
            messenger=messenger,
        )


def author_of(admin_id: int) -> str:
    """How console changes are signed in revisions: ``console:<telegram id>``."""
    return f"{AUTHOR_PREFIX}{admin_id}"
