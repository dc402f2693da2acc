"""BM25 over chunk text (bm25s), with our own tokenizer so queries and passages agree.

The tokenizer lower-cases, drops a short list of English function words and strips common
suffixes ("wires", "wired", "wiring" -> "wir"): crude, but the same on both sides, and no
stemmer package is needed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = (
    "a about am an and any are as at be been but by can could did do does for from "
    "get got has have how i if in into is it its me my of on or our should so than "
    "that the their them then there these they this to us was we were what when where "
    "which who why will with would you your"
)
_STOP = frozenset(_STOP_WORDS.split())


def _strip(word: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _stem(word: str) -> str:
    if word.endswith("ss"):
        return word
    word = _strip(_strip(word, ("ies", "es", "s")), ("ing", "ed"))
    if word.endswith("ss"):
        return word
    return word[:-1] if len(word) > 3 and word[-1] in "ey" else word


def tokenize(text: str) -> list[str]:
    """Terms of `text` for BM25 (same function for passages and queries)."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP]


class Lexical:
    """A BM25 index over a list of passages; scores every passage for a query."""

    def __init__(self, model: Any, size: int) -> None:
        self._model = model
        self.size = size

    @classmethod
    def build(cls, passages: list[str]) -> Lexical:
        import bm25s  # type: ignore[import-untyped]

        model = bm25s.BM25()
        # An empty passage would make bm25s drop the vocabulary; keep a placeholder term.
        model.index([tokenize(p) or ["_"] for p in passages], show_progress=False)
        return cls(model, len(passages))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage (zeros when no query term is known)."""
        vocab: dict[str, int] = self._model.vocab_dict
        terms = [t for t in tokenize(query) if t in vocab]
        if not terms or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._model.get_scores(terms), dtype=np.float32)

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> Lexical:
        import bm25s

        return cls(bm25s.BM25.load(str(folder), load_corpus=False), size)
