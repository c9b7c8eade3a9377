"""Text as retrieval reads it: ``language`` (which language a text is in), ``tokens`` (BM25 terms
and topic words; jieba and character bigrams for Chinese) and ``chinese_intents`` (the question
markers BM25 indexes beside Chinese words)."""
