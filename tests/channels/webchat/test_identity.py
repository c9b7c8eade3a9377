"""Who a visitor is: tokens only we can make, customers only the shop can sign, and one
visitor never reading, rating or picking in another's conversation."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.channels.webchat.identity import Identities, IdentityRefused, customer_signature
from storage.models import Feedback
from tests.channels.webchat.conftest import (
    IDENTITY_SECRET,
    OTHER_QUESTION,
    QUESTION,
    SHOP,
    Served,
    read_events,
)


def test_a_token_names_one_visitor_and_cannot_be_forged() -> None:
    ours, theirs = Identities(b"k" * 32), Identities(b"x" * 32)
    token = ours.anonymous()
    visitor = ours.verify(token)
    assert visitor.user_id >= 1 << 62 and not visitor.customer
    kind, user_id, signature = token.split(".")
    for forged in (
        f"{kind}.{visitor.user_id + 1}.{signature}",  # someone else's id, our signature
        theirs.anonymous(),  # another key
        f"c.{user_id}.{signature}",  # another kind
        "a.12.deadbeef",
        "",
    ):
        try:
            ours.verify(forged)
        except IdentityRefused:
            continue
        raise AssertionError(f"accepted {forged!r}")


def test_a_customer_signed_by_the_shop_is_the_same_visitor_everywhere() -> None:
    identities = Identities(b"k" * 32, IDENTITY_SECRET)
    signature = customer_signature(IDENTITY_SECRET, "customer-42")
    first = identities.verify(identities.customer("customer-42", signature))
    again = identities.verify(identities.customer("customer-42", signature.upper()))
    assert first == again and first.customer
    other = identities.verify(
        identities.customer("customer-43", customer_signature(IDENTITY_SECRET, "customer-43"))
    )
    assert other.user_id != first.user_id
    try:
        identities.customer("customer-43", signature)  # 42's signature for 43
    except IdentityRefused:
        return
    raise AssertionError("a signature for another customer was accepted")


async def test_the_api_issues_customer_tokens_only_for_valid_signatures(served: Served) -> None:
    good = {"customer_id": "c-7", "signature": customer_signature(IDENTITY_SECRET, "c-7")}
    assert await served.visitor(**good) == await served.visitor(**good)
    bad = await served.client.post(
        "/api/visitor",
        json={"customer_id": "c-7", "signature": "0" * 64},
        headers={"origin": SHOP},
    )
    assert bad.status_code == 403


async def test_two_visitors_never_see_each_others_conversation(served: Served) -> None:
    alice, bob = await served.visitor(), await served.visitor()
    await served.say(alice, QUESTION, "a1")
    [answer] = await read_events(served.client, alice, 1)
    await served.say(bob, OTHER_QUESTION, "b1")
    bobs = await read_events(served.client, bob, 5, after=0, within=2)
    assert [e["cid"] for e in bobs] == ["b1"]
    assert all(QUESTION not in str(e) for e in bobs)
    # Bob rating or picking on Alice's messages changes nothing of hers.
    await served.act(bob, id="b2", kind="feedback", message_id=answer["message_id"], rating=-1)
    await served.act(
        bob, id="b3", kind="choice", question_id=answer["question_id"], entry_id=1, label="x"
    )
    bobs = await read_events(served.client, bob, 3, after=0, within=3)
    assert [e["cid"] for e in bobs] == ["b1", "b2", "b3"]
    assert bobs[2]["type"] == "notice"  # "that question is no longer available"
    async with served.app.session_factory() as s:
        assert await s.scalar(select(func.count(Feedback.id))) == 0
    alices = await read_events(served.client, alice, 5, after=0, within=1)
    assert [e["cid"] for e in alices] == ["a1"]
    # A stream without a valid token gets nothing at all.
    refused = await served.client.get(
        "/api/events", params={"token": alice[:-2] + "00"}, headers={"origin": SHOP}
    )
    assert refused.status_code == 401
