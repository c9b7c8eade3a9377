"""One fetched article into storage: skipped when its content hash is unchanged, else cut into
passages (the chunker) that replace its old ones; a failed fetch is recorded on the article,
which keeps its last good passages.

Each function works inside the caller's transaction (the library commits one article at a time,
so a long sync shows progress and a crash loses at most the article in hand).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.knowledge.documents.chunking import (
    DEFAULT_MAX_WORDS,
    DEFAULT_OVERLAP_WORDS,
    chunk_markdown,
)
from bot.knowledge.documents.extraction import Article, ExtractionError
from bot.knowledge.text.language import detect_language
from storage.repositories import documents
from storage.repositories.documents import NewPassage


@dataclass(frozen=True, slots=True)
class ChunkSizes:
    """How articles are cut (``chunk_markdown``'s sizes, in words)."""

    max_words: int = DEFAULT_MAX_WORDS
    overlap_words: int = DEFAULT_OVERLAP_WORDS


def content_hash(article: Article) -> str:
    """sha256 over what the passages are made of: title, address and Markdown."""
    digest = hashlib.sha256()
    for part in (article.title, article.url or "", article.markdown):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def passages_of(article: Article, sizes: ChunkSizes) -> list[NewPassage]:
    """The article cut into passages, each with the language it is written in."""
    chunks = chunk_markdown(
        article.markdown,
        title=article.title,
        max_words=sizes.max_words,
        overlap_words=sizes.overlap_words,
    )
    return [
        NewPassage(
            position=chunk.position,
            heading_path=chunk.heading_path,
            text=chunk.text,
            language=detect_language(chunk.text),
        )
        for chunk in chunks
        if chunk.text.strip()
    ]


async def store_article(
    *,
    session: AsyncSession,
    source_id: int,
    location: str,
    article: Article,
    sizes: ChunkSizes,
    now: datetime,
) -> str:
    """Store one fetched article; returns "added", "changed" or "unchanged".

    Raises ``ExtractionError`` when the article yields no passage (nothing is written then).
    """
    digest = content_hash(article)
    stored = await documents.document_at(session=session, source_id=source_id, location=location)
    if stored is not None and stored.content_hash == digest:
        stored.fetched_at = now
        stored.last_error, stored.failed_at = None, None
        return "unchanged"
    passages = passages_of(article, sizes)
    if not passages:
        raise ExtractionError(f"{location}: no text to answer from")
    if stored is None:
        stored = await documents.add_document(
            session=session,
            source_id=source_id,
            location=location,
            title=article.title,
            url=article.url,
            content_hash=digest,
            now=now,
        )
        outcome = "added"
    else:
        stored.title, stored.url, stored.content_hash = article.title, article.url, digest
        stored.fetched_at = now
        stored.last_error, stored.failed_at = None, None
        outcome = "changed"
    await documents.replace_passages(session=session, document_id=stored.id, passages=passages)
    return outcome


async def record_failure(
    *, session: AsyncSession, source_id: int, location: str, reason: str, now: datetime
) -> None:
    """Note why an article could not be fetched; its last good passages stay searchable."""
    stored = await documents.document_at(session=session, source_id=source_id, location=location)
    if stored is not None:
        stored.last_error, stored.failed_at = reason, now


async def remove_unlisted(*, session: AsyncSession, source_id: int, listed: set[str]) -> list[str]:
    """Delete the source's articles whose location is not in ``listed``; returns theirs."""
    gone = [
        stored
        for stored in await documents.documents_of(session=session, source_id=source_id)
        if stored.location not in listed
    ]
    for stored in gone:
        await documents.delete_document(session=session, document_id=stored.id)
    return [stored.location for stored in gone]
