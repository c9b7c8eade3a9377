"""Help-centre knowledge: sources, the articles (documents) fetched from them, their passages.

A source is what an admin added (a file, a folder, a page, a sitemap, a site to crawl); each
sync fetches its articles again and keeps one ``Document`` row per article with the hash of
what was fetched, so unchanged articles are skipped. An article's passages are replaced as a
whole when it changes: passage ids are never reused (``sqlite_autoincrement``), so a process
mirroring them (the bot's index) notices any change from the count and the highest id.
Deleting a source deletes its articles and their passages (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow

HEADING_SEPARATOR = "\n"  # heading_path is stored as the headings joined by this


class Source(Base):
    """One thing an admin pointed the bot at: kind file | folder | url | sitemap | site."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(String(2048), unique=True)  # path or URL as added
    title: Mapped[str | None] = mapped_column(Text)
    max_pages: Mapped[int | None] = mapped_column(Integer)  # crawl limit for sitemaps and sites
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)  # why the last sync failed, if it did


class Document(Base):
    """One article of a source, as last fetched successfully."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("source_id", "location"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    location: Mapped[str] = mapped_column(String(2048))  # file path or URL it is fetched from
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2048))  # what the source line links to
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the title and Markdown
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)  # the last fetch's failure, if any
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Passage(Base):
    """One passage of an article: what the index searches and a reply quotes."""

    __tablename__ = "passages"
    __table_args__ = ({"sqlite_autoincrement": True},)  # ids never reused

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # order within the article, from 0
    heading_path: Mapped[str] = mapped_column(Text, default="")  # see HEADING_SEPARATOR
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16), default="en")
