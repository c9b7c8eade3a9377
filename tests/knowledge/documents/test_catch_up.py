"""Passages another process stored reach a running bot through its lookups, on a background
task: the question that notices them does not wait for their encoding."""

from __future__ import annotations

from bot.app import open_app
from bot.config import Settings
from bot.knowledge.documents.extraction import article_from_markdown
from bot.knowledge.documents.library import DocumentLibrary
from bot.knowledge.documents.passages import is_passage_id
from bot.knowledge.ranking.index import FaqIndex

ARTICLE = "# Warranty\n\n## Claims\n\nA warranty claim needs the receipt and the serial number.\n"


async def test_a_lookup_starts_the_catch_up_and_a_later_search_finds_the_passage(
    settings: Settings,
) -> None:
    lexical = settings.model_copy(update={"embedding_model": "none"})
    async with open_app(lexical, load_model=False, import_demo=False) as app:
        other = DocumentLibrary(app.session_factory, FaqIndex(None))  # `supportbot docs add`
        await other.add_article(article_from_markdown(ARTICLE, name="w"), source_location="s")
        question = "what does a warranty claim need"
        assert not any(is_passage_id(h.document.id) for h in app.catalog.search(question))
        await app.catalog.lookup(question)  # notices the new passage, encodes it aside
        await app.documents.close()  # (the background sync finishes)
        hits = app.catalog.search(question)
        assert hits and is_passage_id(hits[0].document.id)
