"""``python -m bot``: the supportbot command line."""

from bot.cli import main

raise SystemExit(main())
