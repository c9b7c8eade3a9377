"""Help-centre articles: the business's own documents, cut into passages the index searches
beside the FAQ entries, each answered with its source (issue 19)."""
