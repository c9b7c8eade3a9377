"""A text two articles share is indexed once (the newest copy), through the app's library."""

from __future__ import annotations

from bot.app import App, open_app
from bot.config import Settings
from bot.knowledge.documents.extraction import article_from_markdown
from bot.knowledge.documents.passages import is_passage_id

SHARED = (
    "Call our service line on 0800 123 456 from Monday to Friday between eight and six, or "
    "write to help@example.com and we answer within one working day."
)


def _article(title: str, own: str) -> str:
    body = f"{own} takes a few steps that this section explains one by one. " * 4
    return f"# {title}\n\n## {own}\n\n{body}\n\n## Contact\n\n{SHARED}\n"


async def test_a_repeated_passage_is_searched_once_and_the_newest_copy_kept(
    settings: Settings,
) -> None:
    lexical = settings.model_copy(update={"embedding_model": "none"})
    async with open_app(lexical, load_model=False, import_demo=False) as app:
        await _check(app)


async def _check(app: App) -> None:
    first = article_from_markdown(_article("Quick guide", "Wall mounting"), name="quick")
    second = article_from_markdown(_article("Mounting the TV", "Stand assembly"), name="mount")
    await app.documents.add_articles([("quick", first), ("mount", second)], source_location="s")
    hits = app.catalog.search("what is the phone number of the service line", k=10)
    shared = [h for h in hits if is_passage_id(h.document.id) and "0800" in h.document.answer]
    assert len(shared) == 1
    assert shared[0].document.origin is not None
    assert shared[0].document.origin.title == "Mounting the TV"

    [source] = await app.documents.sources()
    await app.documents.remove(source.id)
    assert not any(is_passage_id(d.id) for d in app.catalog.index.documents())
