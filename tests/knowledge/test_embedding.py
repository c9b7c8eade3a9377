"""The MiniLM encoder pads its inputs to length buckets without changing what they mean."""

from __future__ import annotations

import numpy as np

from bot.knowledge.encoders.base import PAD_TO_MULTIPLE
from bot.knowledge.encoders.loading import load_encoder
from bot.knowledge.encoders.transformer import TransformerEncoder


def test_inputs_are_padded_to_few_lengths_and_the_vectors_stay_the_same() -> None:
    encoder = load_encoder("minilm")
    assert isinstance(encoder, TransformerEncoder)
    lengths = {
        encoder._tokenize([" ".join(["word"] * words)])["input_ids"].shape[1]
        for words in range(1, 41)
    }
    assert all(length % PAD_TO_MULTIPLE == 0 for length in lengths)
    assert len(lengths) <= 40 // PAD_TO_MULTIPLE + 1  # not one shape per length

    texts = ["how long does shipping take", "refund " * 30 + "for a parcel that never came"]
    alone = np.vstack([encoder.encode([text]) for text in texts])
    together = encoder.encode(texts)  # the short one padded to the long one's length
    assert np.allclose(alone, together, atol=2e-2)
    assert (alone * together).sum(axis=1).min() > 0.999
