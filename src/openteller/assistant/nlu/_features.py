"""Feature blocks of the intent classifier: sentence embedding, word and character TF-IDF.

Each block is L2-normalised per row and scaled by its weight, so the weights say how much
each view counts in the linear model's dot products.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]


@dataclass(frozen=True)
class FeatureConfig:
    """Weights of the feature blocks (0 turns a block off)."""

    embedding: float = 1.5
    word: float = 1.0
    char: float = 0.0


class Featurizer:
    """Fitted TF-IDF vocabularies plus the block weights; embeddings come from outside."""

    def __init__(self, config: FeatureConfig) -> None:
        self.config = config
        self.word: TfidfVectorizer | None = None
        self.char: TfidfVectorizer | None = None

    def fit(self, texts: Sequence[str]) -> Featurizer:
        if self.config.word > 0:
            self.word = TfidfVectorizer(
                ngram_range=(1, 2), sublinear_tf=True, lowercase=True, dtype=np.float32
            ).fit(texts)
        if self.config.char > 0:
            self.char = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(2, 5),
                sublinear_tf=True,
                min_df=2 if len(texts) > 2000 else 1,
                dtype=np.float32,
            ).fit(texts)
        return self

    def transform(self, texts: Sequence[str], embeddings: np.ndarray) -> sp.csr_matrix:
        blocks = []
        if self.config.embedding > 0:
            blocks.append(sp.csr_matrix(embeddings * np.float32(self.config.embedding)))
        if self.word is not None:
            blocks.append(self.word.transform(texts) * self.config.word)
        if self.char is not None:
            blocks.append(self.char.transform(texts) * self.config.char)
        return sp.hstack(blocks, format="csr")
