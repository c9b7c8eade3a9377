"""ConversationService: one customer message in, one stored and checked reply out.

The order of work is the product's promise (see DESIGN.md): the customer's message is stored in
its own committed transaction *before* anything that can fail (retrieval, the model), so no
question is ever lost; then the policy picks the kind of reply, the model is asked only for
partial matches, and only text that passed the grounding check reaches the customer. Nothing
here raises to a channel except cancellation: every failure becomes a polite reply and a log
line. The service keeps no per-chat state, so different chats can be handled concurrently.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.conversation.accounts import CustomerAccounts
from bot.conversation.answering import Composer, sources_of
from bot.conversation.choices import ChoiceBook
from bot.conversation.exchange import AnswerMode, Incoming, Reply
from bot.conversation.generation import GroundedAnswer, generate_grounded, lead_sentences
from bot.conversation.lookup import Lookup, split_questions
from bot.conversation.outcome import Outcome
from bot.conversation.policy import Action, Decision, Thresholds, after_generation, decide
from bot.conversation.smalltalk import detect_smalltalk, wants_human
from bot.conversation.texts import Texts, choose_language
from bot.conversation.turns import Turn, open_turn, reply_of, store_reply
from bot.engine.base import EngineBusy, GenerationEngine
from bot.knowledge.entries import FaqHit, FaqId
from bot.knowledge.faq.catalog import FaqCatalog
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.sentences import SentenceScorer
from bot.knowledge.text.language import detect_language
from bot.observability import events
from bot.prompting.builder import SYSTEM_TEMPLATE_NAME
from bot.prompting.templates import default_template
from storage.models import SessionState, utcnow
from storage.repositories import faq

log = logging.getLogger(__name__)

DEFAULT_PROMPT_BUDGET_TOKENS = 1024
SEARCH_K = 5
TextSink = Callable[[str], None]


class _Emitter:
    """Forwards text to the channel and remembers it, so the reply equals what was shown."""

    def __init__(self, sink: TextSink | None) -> None:
        self._sink = sink
        self.shown = ""

    def __call__(self, text: str) -> None:
        if not text:
            return
        self.shown += text
        if self._sink is not None:
            try:
                self._sink(text)
            except Exception:  # a broken terminal must not lose the stored reply
                log.exception("the channel's text callback failed")


class ConversationService:
    """Answers customers' messages; what every channel calls."""

    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        catalog: FaqCatalog,
        engine: GenerationEngine | None,
        texts: Texts,
        limits: Thresholds | None = None,
        prompt_budget_tokens: int = DEFAULT_PROMPT_BUDGET_TOKENS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.catalog = catalog
        self.engine = engine
        self.texts = texts
        self.limits = limits or Thresholds()
        self.prompt_budget_tokens = prompt_budget_tokens
        self.clock = clock
        self._default_system_template = default_template(settings.prompts_dir, SYSTEM_TEMPLATE_NAME)
        # The customer's own operations (/reset, /language, feedback, /forget) live there.
        self.accounts = CustomerAccounts(session_factory, texts, clock=clock)
        index = getattr(catalog, "index", None)  # test fakes of the catalog may have none
        self.scorer = SentenceScorer(index) if isinstance(index, FaqIndex) else None
        self.lookup = Lookup(self._search, self.scorer, confident=self.limits.confident)
        self.compose = Composer(texts, self.scorer, self.lookup, self.limits)
        self.choices = ChoiceBook(
            session_factory,
            self.compose,
            clock=clock,
            indexed=index.documents if isinstance(index, FaqIndex) else list,
        )

    # --- the main path -----------------------------------------------------------------------

    async def handle(
        self, incoming: Incoming, on_text: TextSink | None = None, *, origin: str | None = None
    ) -> Reply:
        """Store ``incoming``, answer it, store the answer; ``on_text`` streams what is shown.

        ``origin``: the channel's key of the update; handling it again (a replay) reuses the
        stored question and, when there is one, the stored reply (see ``turns``).
        """
        started = time.monotonic()
        emit = _Emitter(on_text)
        try:
            turn = await self._open_turn(incoming, origin)
        except Exception:
            log.exception("could not store the message of user %s", incoming.user_id)
            language = self.resolve_language(incoming, stored=None)
            text = self.texts.get("error", language)
            emit(text)
            return Reply(text=text, mode=AnswerMode.FALLBACK, language=language)
        if turn.state == SessionState.HUMAN:  # an agent answers; the channel relays it
            return Reply("", AnswerMode.HUMAN, turn.language, turn.session_id, turn.user_message_id)
        if turn.earlier_reply is not None:  # a replay: the words the first run stored
            emit(turn.earlier_reply.text)
            return reply_of(turn, turn.earlier_reply, turn.earlier_reply_id, 0)
        try:
            outcome = await self._answer(incoming.text, turn, emit)
        except Exception:
            log.exception("answering message %s failed", turn.user_message_id)
            text = emit.shown or self.texts.get("error", turn.language)
            outcome = Outcome(text, AnswerMode.FALLBACK, unanswered=True, offer_human=True)
        if not emit.shown:
            emit(outcome.text)
        latency_ms = round((time.monotonic() - started) * 1000)
        message_id = await self._store_reply(turn, outcome, latency_ms)
        return reply_of(turn, outcome, message_id, latency_ms)

    def resolve_language(self, incoming: Incoming, *, stored: str | None) -> str:
        """The reply language (see ``bot.conversation.texts.choose_language``)."""
        return choose_language(
            chosen=stored,
            hint=incoming.language_hint,
            written=detect_language(incoming.text, default=self.settings.default_language),
            default=self.settings.default_language,
        )

    async def _open_turn(self, incoming: Incoming, origin: str | None = None) -> Turn:
        return await open_turn(
            self.session_factory,
            incoming,
            ttl=self.settings.session_ttl,
            language_for=lambda stored: self.resolve_language(incoming, stored=stored),
            now=self.clock(),
            origin=origin,
        )

    async def _answer(self, text: str, turn: Turn, emit: _Emitter) -> Outcome:
        lang = turn.language
        question = text.strip()
        if not question:
            return Outcome(self.texts.get("empty_message", lang), AnswerMode.SMALLTALK)
        smalltalk = detect_smalltalk(question)
        asked_for_human = wants_human(question)
        hits: list[FaqHit] = []
        if not (smalltalk or asked_for_human):
            parts = split_questions(question)
            several = await self.compose.several(parts, lang) if len(parts) > 1 else None
            if several is not None:
                return several
            hits = (await self.lookup.find(question, turn.context)).hits
        decision = decide(
            hits, smalltalk=smalltalk, asked_for_human=asked_for_human, limits=self.limits
        )
        if decision.action is Action.SMALLTALK:
            assert decision.smalltalk is not None
            return Outcome(self.texts.get(decision.smalltalk.value, lang), AnswerMode.SMALLTALK)
        if decision.action is Action.HANDOFF:
            return self.compose.handoff(decision, lang)
        made = self.compose.from_faq(question, decision, hits, lang)  # None: ask the model
        return made or await self._generate(question, decision, turn, emit)

    async def _search(self, question: str) -> list[FaqHit]:
        """Entries in the language the question is written in, else in any language (timed for
        ``/metrics``: the stored reply latency also holds answering and the database)."""
        started = time.monotonic()
        written = detect_language(question, default=self.settings.default_language)
        hits = await self.catalog.lookup(question, SEARCH_K, written)
        if not hits:
            hits = await asyncio.to_thread(self.catalog.search, question, SEARCH_K, None)
        events.retrieval_took(time.monotonic() - started)
        return hits

    async def _generate(
        self, question: str, decision: Decision, turn: Turn, emit: _Emitter
    ) -> Outcome:
        best = decision.best
        assert best is not None
        ids = [_id(hit) for hit in decision.context]
        answer, failure = await self._ask_engine(question, decision, turn, emit)
        usage = {
            "model": answer.model if answer else None,
            "prompt_tokens": answer.prompt_tokens if answer else None,
            "completion_tokens": answer.completion_tokens if answer else None,
        }
        # Only checked sentences were shown; when there are any, they are the reply.
        mode = after_generation(decision, grounded=True, generated_text=emit.shown)
        if mode is AnswerMode.GENERATED:
            if failure:
                log.info("message %s: generation stopped early (%s)", turn.user_message_id, failure)
            faq_ids = list(answer.faq_ids) if answer else ids
            used = [hit.document for hit in decision.context if hit.document.id in faq_ids]
            return Outcome(
                emit.shown,
                mode,
                faq_ids=faq_ids,
                confidence=best.confidence,
                unanswered=True,
                sources=sources_of(used),
                **usage,  # type: ignore[arg-type]
            )
        log.warning(
            "message %s: generated answer not used (%s); sent %s (the best match) instead",
            turn.user_message_id,
            failure,
            _id(best),
        )
        fallback = self.compose.fallback(question, best, turn.language)
        fallback.model = usage["model"]  # type: ignore[assignment]
        fallback.prompt_tokens = usage["prompt_tokens"]  # type: ignore[assignment]
        fallback.completion_tokens = usage["completion_tokens"]  # type: ignore[assignment]
        return fallback

    async def _ask_engine(
        self, question: str, decision: Decision, turn: Turn, emit: _Emitter
    ) -> tuple[GroundedAnswer | None, str]:
        """The model's checked answer (None when there is none) and why it stopped early."""
        if self.engine is None:
            return None, "no generation engine"
        try:
            answer = await generate_grounded(
                self.engine,
                question=question,
                documents=[hit.document for hit in decision.context],
                history=turn.history,
                system_template=turn.system_template or self._default_system_template,
                business_name=self.settings.business_name,
                language=turn.language,
                budget_tokens=self.prompt_budget_tokens,
                max_new_tokens=self.settings.max_new_tokens,
                timeout_seconds=self.settings.generation_timeout_seconds,
                on_text=emit,
                focus=lead_sentences(self.scorer),
            )
        except EngineBusy:
            return None, "engine busy"
        except Exception as exc:  # never raise to a channel
            return None, f"{type(exc).__name__}: {exc}"
        return answer, answer.failure or ""

    async def _store_reply(self, turn: Turn, outcome: Outcome, latency_ms: int) -> int | None:
        try:
            return await store_reply(self.session_factory, turn, outcome, latency_ms, self.clock())
        except Exception:
            log.exception("could not store the reply to message %s", turn.user_message_id)
            return None

    # --- what channels need besides answering ------------------------------------------------

    async def record_rate_limited(
        self, incoming: Incoming, notice: str | None, *, origin: str | None = None
    ) -> None:
        """Store a flooding customer's message (and the notice, if one is sent); no model call."""
        turn = await self._open_turn(incoming, origin)
        if notice is not None:
            await self._store_reply(turn, Outcome(notice, AnswerMode.RATE_LIMITED), 0)

    async def example_questions(self, language: str, limit: int) -> list[tuple[int, str]]:
        """A few enabled FAQ questions in ``language`` to offer a new customer: (id, question)."""
        async with self.session_factory() as s:
            entries = await faq.list_entries(
                session=s, enabled_only=True, language=language, limit=limit
            )
        return [(entry.id, entry.question) for entry in entries]

    async def example_question(self, entry_id: int) -> str | None:
        """The question of FAQ entry ``entry_id`` (a tapped example), None when it is gone."""
        async with self.session_factory() as s:
            entry = await faq.get(session=s, entry_id=entry_id)
        return entry.question if entry is not None else None


def _id(hit: FaqHit) -> FaqId:
    return hit.document.id
