"""``supportbot run`` in a process of its own with the FakeEngine for generation.

``python -m tests.channels.webchat.run_process`` reads Settings from the environment and does
what ``supportbot run`` does (``run_cmd.serve_channels``: every configured channel, Telegram and
the web chat on one event loop when both are set), over ``open_app`` with a FakeEngine instead
of the bundled model, so the test needs no model.
"""

from __future__ import annotations

import logging

from bot.app import open_app
from bot.commands.run_cmd import serve_channels
from bot.config import load_settings
from bot.engine.fake import FakeEngine


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level="WARNING", format="%(asctime)s %(name)s %(message)s")
    serve_channels(settings, lambda: open_app(settings, engine=FakeEngine(), start_scheduler=True))


if __name__ == "__main__":
    main()
