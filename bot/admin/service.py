"""Admin use cases, shared by the Telegram admin commands and the CLI.

Every FAQ or prompt change is stored as a revision with its author and mirrored into the live
FaqCatalog, so the next customer question already sees it. Authors are plain strings such as
``telegram:12345`` or ``cli:alice``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.faq_views import (
    FaqEdit,
    FaqEntryView,
    FaqPage,
    FieldChange,
    diff_entry,
    repository_changes,
)
from bot.admin.unanswered import QuestionGroup, group_questions
from bot.knowledge.entries import FaqHit
from bot.knowledge.faq.catalog import FaqCatalog
from storage.models import FaqEntry, FaqRevision, PromptRevision
from storage.repositories import choices, faq, messages, prompts, stats

SYSTEM_PROMPT = "system"


class AdminError(Exception):
    """An admin request that cannot be carried out (unknown id, invalid template…)."""


PromptValidator = Callable[[str], None]
PromptDefault = Callable[[str], str]


class AdminService:
    """FAQ editing, prompt management, statistics and unanswered questions."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        catalog: FaqCatalog,
        *,
        validate_prompt: PromptValidator,
        default_prompt: PromptDefault,
        on_prompt_change: Callable[[], None] | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.catalog = catalog
        self.validate_prompt = validate_prompt
        self.default_prompt = default_prompt
        self.on_prompt_change = on_prompt_change

    # --- FAQ ----------------------------------------------------------------------------------

    async def list_faq(self, page: int = 1, per_page: int = 10) -> FaqPage:
        """Entries ordered by id, one page at a time (pages count from 1)."""
        async with self.session_factory() as session:
            total = await faq.count(session=session)
            pages = max(1, -(-total // per_page))
            page = min(max(1, page), pages)
            entries = await faq.list_entries(
                session=session, offset=(page - 1) * per_page, limit=per_page
            )
            views = [FaqEntryView.of(entry) for entry in entries]
        return FaqPage(entries=views, page=page, pages=pages, total=total)

    async def show_faq(self, entry_id: int) -> FaqEntryView:
        """One entry, or AdminError when there is none."""
        async with self.session_factory() as session:
            return FaqEntryView.of(await self._entry(session, entry_id))

    def search_faq(self, text: str, k: int = 5) -> list[FaqHit]:
        """What a customer asking ``text`` would be matched with."""
        return self.catalog.search(text, k=k)

    async def add_faq(
        self,
        *,
        question: str,
        answer: str,
        author: str,
        variants: Sequence[str] = (),
        tags: Sequence[str] = (),
        language: str = "en",
    ) -> FaqEntryView:
        """Create an entry; searchable immediately."""
        question, answer = question.strip(), answer.strip()
        if not question or not answer:
            raise AdminError("a FAQ entry needs a question and an answer")
        async with self.session_factory() as session, session.begin():
            entry = await faq.create(
                session=session,
                question=question,
                answer=answer,
                variants=[v.strip() for v in variants if v.strip()],
                tags=list(tags),
                language=language,
                author=author,
            )
        self.catalog.refresh(entry)
        return FaqEntryView.of(entry)

    async def preview_faq_edit(self, entry_id: int, edit: FaqEdit) -> list[FieldChange]:
        """The fields an edit would change, so the admin can confirm the diff first."""
        async with self.session_factory() as session:
            entry = await self._entry(session, entry_id)
        return diff_entry(entry, edit)

    async def edit_faq(self, entry_id: int, edit: FaqEdit, *, author: str) -> list[FieldChange]:
        """Apply an edit as a new revision; returns what changed (empty: nothing to do)."""
        changes = repository_changes(edit)
        async with self.session_factory() as session, session.begin():
            entry = await self._entry(session, entry_id)
            diff = diff_entry(entry, edit)
            if diff:
                await faq.update(session=session, entry=entry, changes=changes, author=author)
        if diff:
            self.catalog.refresh(entry)
        return diff

    async def add_variant(self, entry_id: int, phrasing: str, *, author: str) -> FaqEntryView:
        """Add an alternative phrasing (how customers really ask) to an entry."""
        phrasing = phrasing.strip()
        if not phrasing:
            raise AdminError("the phrasing is empty")
        async with self.session_factory() as session, session.begin():
            entry = await self._entry(session, entry_id)
            if phrasing not in entry.variants:
                await faq.update(
                    session=session,
                    entry=entry,
                    changes=faq.FaqChanges(variants=[*entry.variants, phrasing]),
                    author=author,
                )
        self.catalog.refresh(entry)
        return FaqEntryView.of(entry)

    async def delete_faq(self, entry_id: int, *, author: str) -> FaqEntryView:
        """Delete an entry (its revisions stay); gone from search at once."""
        async with self.session_factory() as session, session.begin():
            entry = await self._entry(session, entry_id)
            deleted = FaqEntryView.of(entry)
            await faq.delete(session=session, entry=entry, author=author)
        self.catalog.forget(entry_id)
        return deleted

    async def faq_history(self, entry_id: int) -> list[FaqRevision]:
        """Every version of an entry, oldest first."""
        async with self.session_factory() as session:
            history = await faq.revisions(session=session, entry_id=entry_id)
        if not history:
            raise AdminError(f"FAQ entry {entry_id} has no history")
        return history

    # --- prompts ------------------------------------------------------------------------------

    async def show_prompt(self, name: str = SYSTEM_PROMPT) -> tuple[str, int | None]:
        """The template in force and its revision (None: the default file in prompts/)."""
        async with self.session_factory() as session:
            stored = await prompts.get(session=session, name=name)
        if stored is None:
            return self.default_prompt(name), None
        return stored.body, stored.revision

    async def set_prompt(self, body: str, *, author: str, name: str = SYSTEM_PROMPT) -> int:
        """Validate and save a new template version; returns its revision."""
        self._validate(body)
        async with self.session_factory() as session, session.begin():
            template = await prompts.save(session=session, name=name, body=body, author=author)
            revision = template.revision
        self._prompt_changed()
        return revision

    async def prompt_history(self, name: str = SYSTEM_PROMPT) -> list[PromptRevision]:
        """Every saved version of the template, oldest first."""
        async with self.session_factory() as session:
            return await prompts.history(session=session, name=name)

    async def rollback_prompt(
        self, revision: int, *, author: str, name: str = SYSTEM_PROMPT
    ) -> int:
        """Make an earlier version current again (as a new revision)."""
        async with self.session_factory() as session, session.begin():
            try:
                template = await prompts.rollback(
                    session=session, name=name, revision=revision, author=author
                )
            except LookupError as exc:
                raise AdminError(str(exc)) from None
            self._validate(template.body)
            new_revision = template.revision
        self._prompt_changed()
        return new_revision

    # --- statistics and unanswered questions --------------------------------------------------

    async def stats(self, days: int = 7) -> stats.Stats:
        """Activity, answer modes, feedback and latency over the last ``days`` days."""
        async with self.session_factory() as session:
            return await stats.collect(session=session, days=max(1, days))

    async def unanswered(self, limit: int = 200) -> list[QuestionGroup]:
        """Recent questions without a confident answer, grouped by similarity, largest first."""
        async with self.session_factory() as session:
            rows = await messages.unanswered(session=session, limit=limit)
            picked = await choices.chosen_for(session=session, message_ids=[r.id for r in rows])
        return group_questions([(row.id, row.text or "") for row in rows], picked)

    async def resolve_as_new_faq(
        self,
        message_ids: Sequence[int],
        *,
        question: str,
        answer: str,
        author: str,
        language: str = "en",
    ) -> FaqEntryView:
        """Turn a group of unanswered questions into a new entry (others become phrasings)."""
        async with self.session_factory() as session:
            texts = await self._texts(session, message_ids)
        variants = [t for t in texts if t.strip().casefold() != question.strip().casefold()]
        entry = await self.add_faq(
            question=question, answer=answer, author=author, variants=variants, language=language
        )
        await self._mark_answered(message_ids)
        return entry

    async def resolve_as_variant(
        self, message_ids: Sequence[int], entry_id: int, *, author: str
    ) -> FaqEntryView:
        """Add unanswered questions as phrasings of an existing entry."""
        async with self.session_factory() as session:
            texts = await self._texts(session, message_ids)
        entry = await self.show_faq(entry_id)
        for text in texts:
            entry = await self.add_variant(entry_id, text, author=author)
        await self._mark_answered(message_ids)
        return entry

    # --- helpers ------------------------------------------------------------------------------

    async def _entry(self, session: AsyncSession, entry_id: int) -> FaqEntry:
        entry = await faq.get(session=session, entry_id=entry_id)
        if entry is None:
            raise AdminError(f"there is no FAQ entry {entry_id}")
        return entry

    async def _texts(self, session: AsyncSession, message_ids: Sequence[int]) -> list[str]:
        texts = []
        for message_id in message_ids:
            row = await messages.get(session=session, message_id=message_id)
            if row is not None and row.text:
                texts.append(row.text.strip())
        if not texts:
            raise AdminError("those questions are no longer stored")
        return list(dict.fromkeys(texts))

    async def _mark_answered(self, message_ids: Sequence[int]) -> None:
        async with self.session_factory() as session, session.begin():
            await messages.mark_answered(session=session, message_ids=message_ids)

    def _validate(self, body: str) -> None:
        try:
            self.validate_prompt(body)
        except ValueError as exc:
            raise AdminError(f"the template is not valid: {exc}") from None

    def _prompt_changed(self) -> None:
        if self.on_prompt_change is not None:
            self.on_prompt_change()
