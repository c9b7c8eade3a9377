"""The answer path: one customer message in, one stored and checked reply out.

Where each decision lives:
- ``service``: ``ConversationService``, the order of work for one message (store first, then
  answer), flood-stored messages and the example questions offered to a new customer;
- ``accounts``: ``CustomerAccounts``, the customer's own operations (reset, language, feedback,
  forget), reached as ``ConversationService.accounts``;
- ``turns``: the two transactions of a turn (store the question, store the reply);
- ``policy``: which kind of reply a message gets (FAQ, generated, hand-off, small talk);
- ``smalltalk``: greetings, thanks, "I want a person", without a model;
- ``grounding``: is a generated sentence supported by the FAQ context? (the check);
- ``generation``: asking the model for an answer behind that check, sentence by sentence;
- ``handoff``: a session going to human agents and back (``HandoffService``);
- ``texts``: the fixed customer-facing texts per language from ``prompts/locales``;
- ``exchange``: the plain values channels hand in (``Incoming``) and get back (``Reply``);
  ``SessionState`` (bot or human) is re-exported so channels never import storage.
"""

from bot.conversation.accounts import CustomerAccounts
from bot.conversation.exchange import AnswerMode, Incoming, Reply
from bot.conversation.handoff import Customer, HandoffError, HandoffService, Ticket
from bot.conversation.handoff_values import ChannelMessenger
from bot.conversation.service import ConversationService
from bot.conversation.texts import Texts, choose_language, normalize_language
from storage.models import SessionState

__all__ = [
    "AnswerMode",
    "ChannelMessenger",
    "ConversationService",
    "Customer",
    "CustomerAccounts",
    "HandoffError",
    "HandoffService",
    "Incoming",
    "Reply",
    "SessionState",
    "Texts",
    "Ticket",
    "choose_language",
    "normalize_language",
]
