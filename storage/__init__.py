"""Persistence for supportbot: SQLAlchemy 2 models, engine set-up and repository functions.

Nothing here imports from ``bot``, ``telegram`` or ``transformers``: storage only knows rows.
"""
