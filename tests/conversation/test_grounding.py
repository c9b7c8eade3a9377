"""The grounding check catches the contradictions measured with the bundled model."""

from __future__ import annotations

import pytest

from bot.conversation.grounding import GroundingChecker, SentenceGate, check_reply

HOURS = ["When is the store open?\nOur store opens at 9:30 and closes at 18:00 on weekdays."]
RETURNS = ["What is your return policy?\nReturn any unused item within 30 days for a refund."]
SHIPPING = ["How long does shipping take?\nOrders arrive in 3-5 business days."]
RETURNS_ZH = ["如何办理退货？\n收到商品后30天内，您可以在订单页面申请退货。"]


@pytest.mark.parametrize(
    ("reply", "context"),
    [
        ("Our store opens at 9:30 on weekdays.", HOURS),
        ("Sure! Orders arrive in 3-5 business days.", SHIPPING),
        ("You can return any unused item within 30 days.", RETURNS),
        ("您可以在收到商品后30天内在订单页面申请退货。", RETURNS_ZH),
    ],
)
def test_supported_replies_pass(reply: str, context: list[str]) -> None:
    assert check_reply(reply, context=context).grounded


@pytest.mark.parametrize(
    ("reply", "context", "reason"),
    [
        ("The answer is 18:00.", HOURS, "number 18:00"),
        ("The store opens at 18:00.", HOURS, "number 18:00"),
        ("No, that's not possible.", RETURNS, "negation"),
        ("Shipping takes 2-4 weeks.", SHIPPING, "number not in context"),
        ("不可以退货。", RETURNS_ZH, "negation"),
        ("I am a friendly robot who loves cats.", SHIPPING, "low support"),
        ("", SHIPPING, "no supported sentence"),
        ("Customer question: how long", SHIPPING, "prompt marker"),
        ("The user has asked about how long shipping takes.", SHIPPING, "conversation"),
        ("I'm sorry for any confusion, but as an AI I ship orders.", SHIPPING, "conversation"),
    ],
)
def test_contradictions_and_noise_fail(reply: str, context: list[str], reason: str) -> None:
    result = check_reply(reply, context=context)
    assert not result.grounded and reason in result.reason


def test_a_reply_repeating_the_system_prompt_is_a_leak() -> None:
    system = "You are the assistant of Acme. Be friendly, polite and concise with customers."
    result = check_reply(
        "I am friendly, polite and concise with customers.", context=SHIPPING, system_prompt=system
    )
    assert not result.grounded and "system prompt" in result.reason


def test_the_gate_streams_checked_sentences_and_stops_at_the_first_bad_one() -> None:
    gate = SentenceGate(GroundingChecker(HOURS))
    shown = [gate.feed(p) for p in ["Our store ", "opens at 9:30. ", "The answer", " is 18:00. "]]
    assert shown == ["", "Our store opens at 9:30. ", "", ""]
    assert gate.rejected is not None
    assert gate.feed("Our store opens at 9:30.") == "" and gate.finish(complete=True) == ""


def test_the_gate_drops_an_unfinished_last_sentence_when_cut_off() -> None:
    gate = SentenceGate(GroundingChecker(HOURS))
    assert gate.feed("Our store opens at 9:30 on") == ""
    assert gate.finish(complete=False) == ""
    assert gate.released == ""


def test_the_gate_stops_early_on_a_refusal_or_a_wrong_number() -> None:
    refusal = SentenceGate(GroundingChecker(HOURS))
    for piece in ["I'm sorry for any", " confusion, but"]:
        refusal.feed(piece)
    assert refusal.rejected is not None and "conversation" in refusal.rejected.reason

    number = SentenceGate(GroundingChecker(HOURS))
    number.feed("We open at 10:")
    assert number.rejected is None  # "10:" may still become "10:..." -- wait for the next word
    number.feed("00 on")
    assert number.rejected is not None and "10:00" in number.rejected.reason
