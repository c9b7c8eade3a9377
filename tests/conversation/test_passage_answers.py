"""Help-centre passages through the whole answer path (``open_app``, SQLite file): a question
answered from a passage ends with its source line, and a passage works where an entry does — a
"did you mean" pick, the "more" of a focused answer, the stored reply's ids."""

from __future__ import annotations

from bot.app import App
from bot.conversation.exchange import Incoming, entry_ref, parse_entry_ref
from bot.conversation.policy import Action, close_alternatives, decide
from bot.knowledge.documents.extraction import article_from_markdown
from bot.knowledge.documents.passages import passage_document
from bot.knowledge.entries import FaqHit, PassageOrigin

ARTICLE = """# Television setup

## Connecting the antenna

Screw the antenna cable into the ANT IN socket on the back of the television. Then open
Settings, choose Broadcasting and run Auto Program so the television searches for channels.
The search takes about five minutes. Channels found are saved in the channel list.
"""


async def _passage_id(app: App) -> str:
    report = await app.documents.add_article(
        article_from_markdown(ARTICLE, name="setup", url="https://help.example.com/setup"),
        source_location="https://help.example.com/",
    )
    [article] = await app.documents.articles(report.source_ids[0])
    [passage] = await app.documents.passages_of(article.id)
    return f"passage:{passage.id}"


async def test_a_passage_answer_ends_with_its_source(app: App) -> None:
    passage_id = await _passage_id(app)
    reply = await app.conversation.handle(
        Incoming(user_id=1, chat_id=1, text="How do I connect the antenna cable to the television?")
    )
    assert reply.faq_ids[:1] == [passage_id]
    assert reply.text.endswith("From: Television setup › Connecting the antenna")
    assert [(s.label, s.url) for s in reply.sources] == [
        ("Television setup › Connecting the antenna", "https://help.example.com/setup")
    ]


async def test_a_passage_can_be_picked_and_its_rest_read(app: App) -> None:
    passage_id = await _passage_id(app)
    asked = await app.conversation.handle(
        Incoming(user_id=2, chat_id=2, text="how long does the channel search take")
    )
    assert asked.user_message_id is not None
    picked = await app.conversation.choices.choose(
        "console", 2, asked.user_message_id, parse_entry_ref(entry_ref(passage_id))
    )
    assert picked is not None and picked.faq_ids == [passage_id]
    assert "five minutes" in picked.text
    assert picked.text.endswith("From: Television setup › Connecting the antenna")
    rest = await app.conversation.choices.rest_of(passage_id, (0,))
    assert rest is not None and "Auto Program" in rest and "Screw the antenna" not in rest
    assert await app.conversation.choices.rest_of("passage:999999", (0,)) is None


def test_entry_refs_round_trip() -> None:
    assert entry_ref(12) == "12" and parse_entry_ref("12") == 12
    assert entry_ref("passage:34") == "p34" and parse_entry_ref("p34") == "passage:34"


def _passage_hit(passage_id: int, article_id: int, confidence: float) -> FaqHit:
    origin = PassageOrigin(passage_id, article_id, f"Article {article_id}", ("Part",))
    return FaqHit(passage_document(origin, f"Text {passage_id}."), confidence, confidence)


def test_weak_passages_of_several_articles_are_offered_not_handed_off() -> None:
    hits = [_passage_hit(1, 10, 0.12), _passage_hit(2, 10, 0.11), _passage_hit(3, 20, 0.08)]
    decision = decide(hits)
    assert decision.action is Action.GENERATE  # a partial match: "did you mean" first
    assert [h.document.id for h in close_alternatives(decision)] == ["passage:1", "passage:3"]
    assert decide(hits[:2]).action is Action.HANDOFF  # one article only: nothing to choose
    assert decide([_passage_hit(1, 10, 0.03), _passage_hit(3, 20, 0.02)]).action is Action.HANDOFF
