"""Chinese index terms: intent markers and the bigrams of the whole run."""

from __future__ import annotations

import pytest

from bot.knowledge.entries import FaqDocument
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.text.chinese_intents import intents
from bot.knowledge.text.tokens import index_terms, tokenize


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["为什么", "会", "咯血"], ["?cause"]),
        (["是", "什么", "原因"], ["?cause"]),  # a two-word frame wins over "what"
        (["这是", "怎么", "了"], ["?cause"]),  # ... and over "how"
        (["能", "不能", "退货"], ["?can"]),  # each intent once
        (["需不需要", "去", "医院"], ["?need"]),
        (["要", "不要", "去", "医院"], ["?need"]),  # how jieba cuts 要不要去医院
        (["退款", "多久", "到账"], ["?duration"]),
        (["有", "什么", "副作用"], ["?what", "?harm"]),
        (["我", "的", "订单"], []),
    ],
)
def test_question_frames_map_to_intents(words: list[str], expected: list[str]) -> None:
    assert intents(words) == expected


def test_same_topic_questions_differ_in_their_intent_terms() -> None:
    cause = set(index_terms("剧烈运动后咯血，是怎么了？"))
    handle = set(index_terms("剧烈运动后咯血，应该怎么处理？"))
    assert "?cause" in cause and "?cause" not in handle
    assert "?how" in handle and "?how" not in cause
    assert "咯血" in cause & handle  # the topic is shared


def test_index_terms_bridge_different_cuts_but_tokenize_stays_topic_words() -> None:
    # jieba cuts 长时间 and 长期 apart; their bigrams do not, and 服用 is shared either way
    assert "长时" in index_terms("百令胶囊是否可以长时间服用")
    assert "动后" in index_terms("剧烈运动后")  # a bigram across two words
    assert tokenize("国际的") == ["国际"]  # follow-ups count topic words: no bigrams, no markers
    assert not any(term.startswith("?") for term in tokenize("为什么咯血"))
    assert index_terms("Shipping of the shipped items") == tokenize("Shipping of the shipped items")


SAME_TOPIC = [
    FaqDocument("cause", "运动后咯血是什么原因？", "可能是支气管扩张。", language="zh"),
    FaqDocument("handle", "运动后咯血应该怎么处理？", "先停止运动，保持安静。", language="zh"),
    FaqDocument("doctor", "运动后咯血需要就医吗？", "咯血量大时请立即就医。", language="zh"),
    FaqDocument("severity", "运动后咯血严重吗？", "少量咯血多数不严重。", language="zh"),
]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("为什么运动以后会咯血", "cause"),
        ("运动后咯血了怎么办", "handle"),
        ("运动后咯血要不要去医院", "doctor"),
        ("运动后咯血危险吗", "severity"),
    ],
)
def test_lexical_ranking_follows_what_is_asked(question: str, expected: str) -> None:
    index = FaqIndex(encoder=None)
    index.rebuild(SAME_TOPIC)
    assert index.search(question, k=1)[0].document.id == expected
