"""The web chat: one script tag on the shop's own site, the same bot, nothing lost.

``app.py`` serves ``/widget.js`` (``static/widget.js``: our own script and styles in an open
shadow root, text only) and the API: a visitor token (``identity.py``), messages stored in the
durable inbox before they are acknowledged, events streamed down as server-sent events from the
outbox (``events.py``) and confirmed by the browser. ``worker.py`` handles stored updates chat by
chat through ``actions.py`` (conversation, hand-off, the customer's own account); ``live.py``
wakes open streams; ``guard.py`` the origin check and security headers; ``limits.py`` the rate
limits; ``messenger.py`` the hand-off port agents reach visitors through; ``server.py`` runs it
all on the bot's event loop. Like every channel it calls services only. See docs/widget.md.
"""

from bot.channels.webchat.app import WebChat, create_app
from bot.channels.webchat.messenger import RoutedMessenger, WebMessenger
from bot.channels.webchat.server import build_webchat, serving_webchat

__all__ = [
    "RoutedMessenger",
    "WebChat",
    "WebMessenger",
    "build_webchat",
    "create_app",
    "serving_webchat",
]
