"""A small merchant-category classifier: the fallback when the keyword rules find nothing.

Character n-grams (2 to 4, within word boundaries) weighted by TF-IDF, then a
multinomial logistic regression, trained on our own labelled merchant strings: the demo
bank's merchants, billers and landlords (`core/demo/merchants.py`), the rules' keywords,
and a few generic words per category (DELI, BAKERY, PETRO...). It names spending
categories only: money movements (transfers, card payments, loans, interest, fees, cash,
P2P, income) are the rules' job, and a guess there would hide a charge from the
detectors. It answers only when its top probability reaches `MIN_CONFIDENCE`, else None.

Training takes well under a second; the fitted model is cached as JSON under
`openteller.core.files.model_dir()` (`insights-merchants-<hash>.json`, the hash of the
model version and the training data) with a file lock, like the other models, and loaded
once per process. scikit-learn is imported on first use, not when the package loads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from openteller.core.demo import merchants as shops
from openteller.core.files import load_or_build, model_dir

log = logging.getLogger(__name__)

MODEL_VERSION = "1"
MIN_CONFIDENCE = 0.35
SPENDING_CATEGORIES: frozenset[str] = frozenset(
    {
        "housing",
        "utilities",
        "groceries",
        "dining",
        "fuel",
        "transport",
        "shopping",
        "entertainment",
        "subscriptions",
        "health",
        "travel",
    }
)
# Generic words of our own, so unseen names with a telling word land well.
_GENERIC: dict[str, tuple[str, ...]] = {
    "groceries": ("MARKET", "SUPERMARKET", "FOODS", "GROCER", "FARMERS MARKET", "BUTCHER"),
    "dining": ("DELI", "BAKERY", "GRILL", "DINER", "BISTRO", "TACO", "SUSHI", "BURGER", "COFFEE"),
    "fuel": ("PETRO", "GAS STATION", "FUEL STOP", "OIL", "SUNOCO", "MARATHON", "TEXACO"),
    "transport": ("TAXI", "CAB", "METRO", "RAIL", "TOLL", "BIKE SHARE", "BUS"),
    "shopping": ("STORE", "OUTLET", "MALL", "BOUTIQUE", "HARDWARE", "ELECTRONICS", "DEPOT"),
    "entertainment": ("CINEMAS", "THEATER", "BOWLING", "ARCADE", "CONCERT", "GAMES"),
    "subscriptions": ("STREAMING", "MEMBERSHIP", "PREMIUM", "PLUS", "CLOUD", "MUSIC"),
    "health": ("DRUG", "MEDICAL", "DOCTOR", "HOSPITAL", "OPTICAL", "GYM", "LABS"),
    "travel": ("AIRLINE", "AIR", "INN", "RESORT", "MOTEL", "TRAVEL", "CRUISE"),
    "utilities": ("ENERGY", "GAS & ELECTRIC", "TELECOM", "WIRELESS", "INTERNET", "SEWER"),
    "housing": ("PROPERTIES", "REALTY", "LEASING", "HOMES", "APTS", "MANAGEMENT"),
}


def training_examples() -> list[tuple[str, str]]:
    """(text, category) pairs the model learns from, normalized like the detectors' keys."""
    from openteller.insights.merchants import _RULES, normalize_merchant

    pairs: list[tuple[str, str]] = []
    for catalogue in (
        shops.GROCERIES,
        shops.DINING,
        shops.FUEL,
        shops.TRANSPORT,
        shops.SHOPPING,
        shops.HEALTH,
        shops.ENTERTAINMENT,
    ):
        pairs += [(m.name, m.category) for m in catalogue]
    pairs += [(name, "subscriptions") for name, _old, _new in shops.SUBSCRIPTIONS]
    pairs += [(name, "utilities") for name, _low, _high in shops.UTILITIES]
    pairs += [(name, "housing") for name in (*shops.LANDLORDS, *shops.MORTGAGE_SERVICERS)]
    pairs += [(word, category) for category, words in _RULES for word in words]
    pairs += [(word, category) for category, words in _GENERIC.items() for word in words]
    cleaned = {(normalize_merchant(text) or text.upper(), c) for text, c in pairs}
    return sorted((t, c) for t, c in cleaned if c in SPENDING_CATEGORIES)


@dataclass(frozen=True)
class MerchantClassifier:
    """A fitted model: predicts a spending category, or None below `MIN_CONFIDENCE`."""

    vectorizer: Any
    model: Any

    def predict(self, text: str) -> str | None:
        with _one_thread():
            probabilities = self.model.predict_proba(self.vectorizer.transform([text]))[0]
        best = int(probabilities.argmax())
        if probabilities[best] < MIN_CONFIDENCE:
            return None
        return str(self.model.classes_[best])

    def to_json(self) -> dict[str, Any]:
        return {
            "version": MODEL_VERSION,
            "vocabulary": {k: int(v) for k, v in self.vectorizer.vocabulary_.items()},
            "idf": self.vectorizer.idf_.tolist(),
            "classes": [str(c) for c in self.model.classes_],
            "coef": self.model.coef_.tolist(),
            "intercept": self.model.intercept_.tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MerchantClassifier:
        import numpy as np

        vectorizer = _vectorizer()
        vectorizer.vocabulary_ = data["vocabulary"]
        vectorizer.idf_ = np.asarray(data["idf"], dtype=float)
        model = _model()
        model.classes_ = np.asarray(data["classes"])
        model.coef_ = np.asarray(data["coef"], dtype=float)
        model.intercept_ = np.asarray(data["intercept"], dtype=float)
        return cls(vectorizer, model)


def train(examples: list[tuple[str, str]]) -> MerchantClassifier:
    """Fit the vectorizer and the regression on `examples`."""
    vectorizer = _vectorizer()
    features = vectorizer.fit_transform([t for t, _c in examples])
    model = _model()
    with _one_thread():
        model.fit(features, [c for _t, c in examples])
    return MerchantClassifier(vectorizer, model)


def _one_thread() -> Any:
    """One BLAS/OpenMP thread: the problem is tiny, and on a busy machine thread start-up
    made fitting 50 times slower (2.5 s against 0.05 s)."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    return threadpool_limits(1)


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)


def _model() -> Any:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    return LogisticRegression(C=20.0, max_iter=2000)


def model_file(directory: Path | None = None) -> Path:
    examples = training_examples()
    digest = hashlib.sha256(f"{MODEL_VERSION}\n{examples!r}".encode()).hexdigest()[:16]
    return model_dir(directory) / f"insights-merchants-{digest}.json"


def load_or_train(directory: Path | None = None) -> MerchantClassifier:
    """The cached classifier, training and saving it when absent or unreadable."""
    path = model_file(directory)

    def build() -> MerchantClassifier:
        log.info("training the merchant classifier %s", path.name)
        return train(training_examples())

    return load_or_build(path, _load, build, _save)


def _save(classifier: MerchantClassifier, path: Path) -> None:
    path.write_text(json.dumps(classifier.to_json()))


def _load(path: Path) -> MerchantClassifier | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        if data.get("version") != MODEL_VERSION:
            return None
        return MerchantClassifier.from_json(data)
    except (ValueError, KeyError, TypeError) as exc:  # truncated or foreign: train again
        log.warning("retraining the merchant classifier: %s", exc)
        return None


_lock = threading.Lock()
_default: dict[Path, MerchantClassifier] = {}


def default_classifier(directory: Path | None = None) -> MerchantClassifier:
    """The process-wide classifier for `directory` (default: `model_dir()`)."""
    folder = model_dir(directory).resolve()
    with _lock:
        found = _default.get(folder)
        if found is None:
            found = load_or_train(folder)
            _default[folder] = found
        return found


@lru_cache(maxsize=65536)
def classify_text(text: str) -> str | None:
    """The classifier's spending category for a normalized descriptor, or None."""
    if not text:
        return None
    return default_classifier().predict(text)
