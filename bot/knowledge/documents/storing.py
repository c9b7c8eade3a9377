"""One fetched article into storage: skipped when its content hash is unchanged, else cut into
passages (the chunker) that replace its old ones; a failed fetch is recorded on the article,
which keeps its last good passages.

Each function works inside the caller's transaction (the library commits one article at a time,
so a long sync shows progress and a crash loses at most the article in hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.knowledge.documents.chunking import (
    DEFAULT_MAX_WORDS,
    DEFAULT_OVERLAP_WORDS,
    chunk_markdown,
)
from bot.knowledge.documents.extraction import Article, ExtractionError
from bot.knowledge.documents.fetching import digest_of
from bot.knowledge.text.language import detect_language
from storage.repositories import documents
from storage.repositories.documents import NewPassage

PASSAGE_FORMAT = "2"  # raise it when the chunker or extraction changes what passages hold


@dataclass(frozen=True, slots=True)
class ChunkSizes:
    """How articles are cut (``chunk_markdown``'s sizes, in words)."""

    max_words: int = DEFAULT_MAX_WORDS
    overlap_words: int = DEFAULT_OVERLAP_WORDS


def content_hash(article: Article) -> str:
    """The digest of an article in hand (no bytes behind it): title, address and Markdown."""
    return digest_of(article.title, article.url or "", article.markdown)


def stored_hash(digest: str, sizes: ChunkSizes) -> str:
    """What ``documents.content_hash`` holds: the fetched bytes' digest with the passage sizes
    (new sizes cut every article again at the next sync)."""
    return digest_of(PASSAGE_FORMAT, str(sizes.max_words), str(sizes.overlap_words), digest)


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
    digest: str | None = None,
) -> str:
    """Store one article (``digest``: of the bytes it was read from; default: of the article
    itself); returns "added", "changed" or "unchanged".

    Raises ``ExtractionError`` when the article yields no passage (nothing is written then).
    """
    digest = stored_hash(digest or content_hash(article), sizes)
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


async def is_unchanged(
    *, session: AsyncSession, source_id: int, location: str, digest: str, sizes: ChunkSizes
) -> bool:
    """True when the stored article at ``location`` was made of bytes with this digest."""
    stored = await documents.document_at(session=session, source_id=source_id, location=location)
    return stored is not None and stored.content_hash == stored_hash(digest, sizes)


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
