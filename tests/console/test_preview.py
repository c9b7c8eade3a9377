"""The answer preview tries a draft on a private copy of the index: the live index (lexical and
dense parts alike) never changes, and the copy answers as if the draft were saved."""

from __future__ import annotations

import pytest

from bot.admin.preview import index_copy
from bot.knowledge.entries import FaqDocument
from bot.knowledge.ranking.index import FaqIndex
from tests.knowledge.fakes import HashingEncoder

DOCS = [
    FaqDocument(1, "How long does shipping take?", "3-5 days.", ("When will it arrive?",)),
    FaqDocument(2, "How do I return an item?", "Within 30 days.", ("Can I send it back?",)),
    FaqDocument(3, "Which payment methods do you accept?", "Cards and PayPal."),
]


@pytest.mark.parametrize("encoder", [None, HashingEncoder()], ids=["lexical", "hybrid"])
def test_copy_takes_the_draft_and_leaves_the_live_index_alone(encoder: object) -> None:
    live = FaqIndex(encoder)  # type: ignore[arg-type]
    live.rebuild(DOCS)
    question = "do you ship parcels to the moon"
    before = [(h.document.id, round(h.score, 6)) for h in live.search(question)]
    trial = index_copy(live)
    draft = FaqDocument(2, "Do you ship parcels to the moon?", "Only to Mars.", ("moon parcels",))
    trial.remove(2)
    trial.upsert(draft)
    trial.upsert(FaqDocument(4, "Gift cards?", "Yes."))
    assert trial.search(question)[0].document == draft
    assert [(h.document.id, round(h.score, 6)) for h in live.search(question)] == before
    assert live.search("Can I send it back?")[0].document.id == 2
    assert 4 not in live and len(live) == 3 and len(trial) == 4
    trial.remove(1)
    assert live.search("How long does shipping take?")[0].document.id == 1
