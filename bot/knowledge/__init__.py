"""The FAQ knowledge base: file formats, language-aware tokenisation and hybrid retrieval."""

from bot.knowledge.documents import FaqDocument, FaqHit, FaqId
from bot.knowledge.embedding import TextEncoder, load_encoder
from bot.knowledge.faqfile import FaqFileError, FaqRecord, read_faq_file, write_faq_file
from bot.knowledge.index import FaqIndex
from bot.knowledge.language import detect_language
from bot.knowledge.thresholds import CONFIDENT_THRESHOLD, RELATED_THRESHOLD

__all__ = [
    "CONFIDENT_THRESHOLD",
    "RELATED_THRESHOLD",
    "FaqDocument",
    "FaqFileError",
    "FaqHit",
    "FaqId",
    "FaqIndex",
    "FaqRecord",
    "TextEncoder",
    "detect_language",
    "load_encoder",
    "read_faq_file",
    "write_faq_file",
]
