"""A small FAQ written for the tests of follow-ups, focused answers and choices.

Its wording is chosen so that lexical retrieval alone (``embedding_model: none``) gives fixed
outcomes, whatever the demo FAQ or the ranking's tuning: made-up product names (Zorblax,
Quibbit) that no other entry contains, and entries of three sentences to focus on.
"""

from __future__ import annotations

from bot.knowledge.faq.faqfile import FaqRecord

SHOP_FAQ = (
    FaqRecord(
        "zorblax-pair",
        "How do I pair the Zorblax speaker?",
        "Hold the Zorblax button for 5 seconds until the light blinks blue.",
    ),
    FaqRecord(
        "zorblax-reset",
        "How do I reset the Zorblax speaker?",
        "Hold the Zorblax button and the volume key together for 10 seconds.",
    ),
    FaqRecord(
        "quibbit-battery",
        "What should I know about the Quibbit battery?",
        "The Quibbit battery lasts 12 hours of use. Charging the Quibbit fully takes 90 "
        "minutes. The Quibbit battery cannot be replaced by the customer.",
    ),
    FaqRecord(
        "quibbit-delivery",
        "Do you deliver the Quibbit abroad?",
        "Yes, we deliver the Quibbit to 40 countries. Delivery abroad takes 7-14 business days "
        "and costs $19.99. Customs duties are paid by the recipient.",
    ),
    FaqRecord(
        "quibbit-delivery-time",
        "How long does Quibbit delivery take at home?",
        "Home delivery of the Quibbit takes 3-5 business days. Express home delivery takes 1-2 "
        "business days.",
    ),
    FaqRecord(
        "quibbit-returns",
        "What is the Quibbit return policy?",
        "You can return an unused Quibbit within 30 days. Returns within the country are free: "
        "we send you a prepaid label. A Quibbit with a broken seal cannot be returned.",
    ),
    FaqRecord(
        "quibbit-address",
        "Can I change the Quibbit delivery address?",
        "Yes, until the Quibbit ships. Edit the address under My Account > Orders.",
    ),
    FaqRecord(
        "quibbit-cancel",
        "Can I cancel my Quibbit order?",
        "Yes, as long as it has not shipped. Press Cancel under My Account > Orders.",
    ),
    FaqRecord(
        "quibbit-returns-zh",
        "奎比特可以退货吗？",
        "收货后 30 天内，未使用的奎比特可以退货。"
        "奎比特在国内退货免费，我们提供预付邮资的退货标签。"
        "拆封的奎比特不支持退货。",
        language="zh",
    ),
)
