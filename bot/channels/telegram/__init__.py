"""The Telegram channel (python-telegram-bot 22): customers, admins and the human hand-off.

The only package that imports ``telegram``. ``build_application(settings, opener)`` assembles
the bot; ``run(settings)`` runs it (long polling, or a webhook server).
"""

from bot.channels.telegram.application import build_application
from bot.channels.telegram.runner import run, serving
from bot.channels.telegram.services import Tuning

__all__ = ["Tuning", "build_application", "run", "serving"]
