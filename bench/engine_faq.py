"""The engine benchmark's shop: a fictional outdoor shop's 16 FAQ entries and 16 customers.

``QUESTIONS[i]`` is a customer's question with the FAQ entries (indexes into ``FAQ``) that the
issue's fixed workload passes with it: the entry that answers it first, then two others.
"""

from __future__ import annotations

BUSINESS_NAME = "Northwind Outfitters, an online shop for outdoor clothing and camping gear"

FAQ = [
    (
        "How long does delivery take?",
        "Orders placed before 2 pm on a working day leave our "
        "warehouse the same day. Standard delivery takes 2 to 4 working days within the "
        "country and 5 to 10 working days abroad. Express delivery arrives the next "
        "working day for orders placed before noon. You receive a tracking link by e-mail "
        "as soon as the parcel leaves.",
    ),
    (
        "How much does shipping cost?",
        "Standard shipping costs 4.90 EUR and is free for orders "
        "above 60 EUR. Express shipping costs 12.90 EUR regardless of the order value. Shipping "
        "abroad costs 14.90 EUR within the EU and 29.90 EUR elsewhere. Bulky items such as tents "
        "over 10 kg carry a surcharge of 9 EUR, shown at checkout before you pay.",
    ),
    (
        "How do I return an item?",
        "You can return unused items within 30 days of delivery. Log "
        "in, open the order, choose Return and print the prepaid label. Pack the item in its "
        "original packaging and drop it at any post office. Refunds reach your original payment "
        "method within 5 working days after the return arrives at our warehouse.",
    ),
    (
        "Can I exchange shoes for another size?",
        "Yes. Start a return for the pair you have and "
        "select Exchange instead of Refund, then choose the new size. We ship the new pair as soon "
        "as the courier scans your parcel, so you do not have to wait for it to reach us. "
        "Exchanges are free of charge once per order.",
    ),
    (
        "Which payment methods do you accept?",
        "We accept Visa, Mastercard, American Express, "
        "PayPal, Apple Pay, Google Pay and bank transfer. Invoices payable within 14 days are "
        "available to returning customers in Germany and Austria after their second order. We do "
        "not accept cash on delivery or cheques.",
    ),
    (
        "Do you have a warranty on tents?",
        "All tents carry a 3-year warranty against "
        "manufacturing defects such as broken poles, failed seams and faulty zips. Damage from "
        "storms, fire or misuse is not covered. Send us photos of the defect and your order number "
        "and we repair or replace the tent, usually within two weeks.",
    ),
    (
        "Can I change or cancel my order?",
        "You can change or cancel an order until it is packed, "
        "usually within one hour of ordering. Open the order in your account and choose Edit or "
        "Cancel. Once the order shows Packed, it can no longer be changed, but you can return "
        "the items free of charge after delivery.",
    ),
    (
        "Where is my order?",
        "Open the tracking link in your shipping confirmation e-mail or look "
        "up the order in your account under Orders. Tracking updates can take up to 24 hours after "
        "dispatch. If the parcel has not moved for 5 working days, contact us and we will open an "
        "investigation with the courier.",
    ),
    (
        "Do you sell gift cards?",
        "Yes, digital gift cards from 10 to 500 EUR are sent by e-mail "
        "within minutes and are valid for three years. They can be used for several orders until "
        "the balance is spent. Gift cards cannot be exchanged for cash or used to buy other gift "
        "cards.",
    ),
    (
        "How do I take care of a down jacket?",
        "Wash down jackets at 30 degrees on a gentle cycle "
        "with a special down detergent, never with fabric softener. Tumble dry on low heat "
        "with two or three clean tennis balls so the down does not clump. Store the "
        "jacket loosely hung, not compressed, between seasons.",
    ),
    (
        "Do you offer student discounts?",
        "Students get 10 percent off full-price items after "
        "verifying their status once through our partner UNiDAYS. The discount cannot be combined "
        "with other vouchers or applied to gift cards and sale items. Verification stays valid for "
        "twelve months.",
    ),
    (
        "Is there a physical store?",
        "We have one store in Munich at Lindwurmstrasse 12, open "
        "Monday to Saturday from 10 am to 7 pm. Online orders can be collected there free of "
        "charge two working days after ordering. Returns of online orders are also accepted in the "
        "store.",
    ),
    (
        "My item arrived damaged, what should I do?",
        "We are sorry about that. Please send photos "
        "of the damage and of the parcel within 7 days of delivery through the contact form. We "
        "send a replacement straight away or refund the item in full, and you do not need to "
        "return damaged goods unless we ask for them.",
    ),
    (
        "Can I reserve an item?",
        "We cannot reserve items online. Items in your basket are not "
        "held for you and may sell out. Our store in Munich can hold items for collection for up "
        "to 48 hours if you call them. Restock dates are shown on the product page when known.",
    ),
    (
        "How do I find my size?",
        "Every product page has a size chart with body measurements in "
        "centimetres. Measure your chest, waist and inside leg and pick the size whose range fits; "
        "between two sizes, choose the larger one for layering. Our shoes are true to size unless "
        "the product page says otherwise.",
    ),
    (
        "Do you ship to Switzerland?",
        "Yes, we ship to Switzerland with standard delivery in 5 to "
        "8 working days. Prices are shown without German VAT; Swiss import VAT and a customs fee "
        "are charged by the courier on delivery. Returns from Switzerland are free using the "
        "prepaid label in your account.",
    ),
]

QUESTIONS = [
    ("Hi, I ordered a tent on Monday and it still hasn't arrived. How long does it take?", 0, 7, 1),
    ("What does shipping cost if I order for 45 euros?", 1, 0, 15),
    ("I want to send back a jacket that I don't like. How does that work?", 2, 3, 12),
    ("These boots are too small, can I get a bigger size?", 3, 2, 14),
    ("Can I pay by invoice?", 4, 8, 10),
    ("One pole of my tent broke after a month. Is that covered?", 5, 12, 2),
    ("I made a mistake in my address, can I still change my order?", 6, 7, 0),
    ("My tracking hasn't changed in a week. Where is my parcel?", 7, 0, 12),
    ("Can I buy a gift card for my brother?", 8, 10, 4),
    ("How should I wash my down jacket?", 9, 14, 5),
    ("Is there a discount for students?", 10, 8, 4),
    ("Do you have a shop in Munich where I can try things on?", 11, 13, 14),
    ("My sleeping bag arrived with a tear in it. What now?", 12, 2, 5),
    ("Can you keep a backpack for me until Friday?", 13, 11, 7),
    ("I'm usually between M and L. Which size should I take?", 14, 3, 9),
    ("Do you deliver to Zurich and will I pay customs?", 15, 1, 0),
]
