"""A full-text index over message texts, for the console's conversation search.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 15:00:00

The console's `/conversations?q=…` found messages with ``LIKE '%text%'``, a scan of every
message (102-142 ms at 100,000 messages on a loaded machine). Now a word index answers it
(``storage.repositories.message_search``):

- SQLite: an FTS5 table ``messages_fts`` over ``messages.text`` (external content: the text is
  stored once, in ``messages``), kept in step by three triggers on ``messages`` (insert; delete,
  which a customer's ``/forget`` causes through ``ON DELETE CASCADE``; and an update of
  ``text``, which the retention purge makes ``NULL``). A later migration that rebuilds
  ``messages`` in batch mode (copy, drop, rename) drops these triggers with the old table and
  must create them again (``create_sqlite_triggers`` below).
- PostgreSQL: a GIN index on ``to_tsvector('simple', coalesce(text, ''))``; the search repeats
  that expression so the planner uses it. ``simple``: no stemming or stop words, because
  messages come in every language.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = {
    "messages_fts_insert": """
        CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
        WHEN new.text IS NOT NULL BEGIN
            INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
        END""",
    "messages_fts_delete": """
        CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
        WHEN old.text IS NOT NULL BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END""",
    "messages_fts_update": """
        CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, text)
                SELECT 'delete', old.id, old.text WHERE old.text IS NOT NULL;
            INSERT INTO messages_fts (rowid, text)
                SELECT new.id, new.text WHERE new.text IS NOT NULL;
        END""",
}
POSTGRESQL_INDEX = "ix_messages_text_search"


def create_sqlite_triggers() -> None:
    for body in TRIGGERS.values():
        op.execute(body)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
        )
        create_sqlite_triggers()
        op.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute(
            f"CREATE INDEX {POSTGRESQL_INDEX} ON messages "
            "USING gin (to_tsvector('simple', coalesce(text, '')))"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS messages_fts")
    elif dialect == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {POSTGRESQL_INDEX}")
