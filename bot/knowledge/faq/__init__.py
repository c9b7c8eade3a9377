"""The curated FAQ: ``catalog`` (``FaqCatalog``, the database's entries mirrored into the live
index) and the FAQ files it imports and exports (``faqfile``, ``faqfile_writer``: YAML, JSON,
CSV)."""
