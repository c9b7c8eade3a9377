"""supportbot: a self-hosted customer-service bot (FAQ retrieval, local LLM, Telegram, SQLite)."""

__version__ = "0.1.0"
