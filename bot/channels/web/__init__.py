"""The admin web console: an ASGI app (Starlette, server-rendered Jinja2, plain forms, a little
JavaScript of its own) over the same services as the Telegram admin commands and the CLI.

It never imports ``storage`` or ``telegram``: pages call ``bot.admin`` / ``bot.conversation``
use cases, and an agent's reply reaches a Telegram customer through the hand-off port
(``bot.conversation.handoff.CustomerMessenger``) that the Telegram channel implements.
"""

from bot.channels.web.app import create_app
from bot.channels.web.services import ConsoleServices

__all__ = ["ConsoleServices", "create_app"]
