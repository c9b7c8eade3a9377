"""Retrieval: ranking FAQ entries and passages for a question, with a calibrated confidence.

- ``index``: ``FaqIndex.search``, the fusion of ``lexical`` (BM25) and ``dense`` (embeddings),
  calibrated by ``scoring`` into a confidence (``thresholds``: what counts as confident);
- ``second_looks``: ``rerank`` (mpnet) and ``second_opinion`` (e5) for uncertain hits, their
  vectors in ``side_vectors``; ``phrasings``: an exact wording of an entry ranks it first;
- ``sentences``: an entry's sentences scored against a question (focused answers);
- ``metrics``: P@1, R@5, MRR@10, confident precision and automation on a labelled dataset.
"""
