"""The intent classifier: tuned sentence embeddings + TF-IDF, a linear model, calibration.

    text ─ Encoder (MiniLM, top layers tuned) ─┐
         ─ word TF-IDF (1-2 grams) ─────────────┼─ linear model ─ scores / T ─ softmax
         ─ char TF-IDF (optional) ──────────────┘

`T` (temperature) is fitted on a held-out part so that confidence means what it says; the
clarification and out-of-scope rules read the calibrated probabilities.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import joblib  # type: ignore[import-untyped]
import numpy as np
import torch
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

from openteller.assistant.nlu._data import OUT_OF_SCOPE, IntentInfo, NLUDataError, TrainingData
from openteller.assistant.nlu._features import FeatureConfig, Featurizer
from openteller.assistant.nlu._tuning import TuneConfig, tune_encoder
from openteller.embeddings import Encoder, packaged_encoder

# Bump when features, tuning or the file format change: cached models are then retrained.
MODEL_VERSION = "1"
RANKING_SIZE = 5

# (phase, done, total): phases are "encode", "tune", "fit", "calibrate".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ModelConfig:
    """Everything that decides what `fit` learns, and the decision thresholds.

    Thresholds (chosen by cross-validation of our intents, docs/architecture.md): a
    prediction needs clarification when its calibrated confidence is below
    `confidence_threshold` or the two likeliest intents are closer than `margin_threshold`;
    it is out of scope when `out_of_scope` wins, or when even the best intent stays below
    `out_of_scope_floor`.
    """

    tune: TuneConfig = field(default_factory=TuneConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    classifier: str = "logreg"  # or "svm" (linear SVM, one-vs-rest)
    c: float = 10.0
    # Few-shot regime: when the median intent has at most this many examples, each
    # intent's name ("card_arrival" -> "card arrival", or its title) joins its examples.
    names_up_to: int = 12
    confidence_threshold: float = 0.5
    margin_threshold: float = 0.1
    out_of_scope_floor: float = 0.2

    def key(self) -> str:
        """A stable text form of the config, part of a cached model's key."""
        return repr(sorted(asdict(self).items()))


@dataclass
class IntentPrediction:
    """One parse: the likeliest intent, its calibrated confidence, the top of the ranking.

    `clarification` is set when `needs_clarification`: a question naming the two
    likeliest intents ("Do you want to check a balance, or look up transactions?").
    """

    intent: str
    confidence: float
    ranking: list[tuple[str, float]]
    needs_clarification: bool
    out_of_scope: bool
    clarification: str | None = None


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    out: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
    return out


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The T > 0 minimising the negative log-likelihood of softmax(scores / T)."""

    def nll(log_t: float) -> float:
        probs = _softmax(scores / math.exp(log_t))
        return float(-np.log(probs[np.arange(len(truth)), truth] + 1e-12).mean())

    # Golden-section search over log T in [-4, 4]: NLL is unimodal in T.
    lo, hi = -4.0, 4.0
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = nll(b)
    return math.exp((lo + hi) / 2)


def with_intent_names(data: TrainingData, up_to: int) -> tuple[list[str], list[str]]:
    """The examples of `data`, plus each intent's name as one more example of it when the
    median intent has at most `up_to` examples (few-shot: cross-validated on 10-shot
    splits of Banking77's train.csv, docs/benchmarks.md). With more data the examples say
    more than a name, and the examples are returned as they are."""
    texts, labels = list(data.texts), list(data.labels)
    counts = sorted(data.counts().values())
    if not counts or counts[len(counts) // 2] > up_to:
        return texts, labels
    seen = set(texts)
    for intent in sorted(set(labels)):
        name = data.info(intent).display.replace("_", " ").strip().lower()
        if name and name not in seen:
            texts.append(name)
            labels.append(intent)
            seen.add(name)
    return texts, labels


class IntentModel:
    """Intent classifier with calibrated confidence; `fit`, then `predict` or `save`."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        self.config = config or ModelConfig()
        self.classes: list[str] = []
        self.intents: dict[str, IntentInfo] = {}
        self.temperature = 1.0
        self.data_digest = ""
        self.train_seconds = 0.0
        self._encoder: Encoder | None = None
        self._featurizer: Featurizer | None = None
        self._coef: np.ndarray | None = None
        self._intercept: np.ndarray | None = None

    # -- training ---------------------------------------------------------------------

    def fit(
        self,
        data: TrainingData,
        *,
        calibrate: bool = True,
        progress: Progress | None = None,
    ) -> IntentModel:
        """Learn from `data`; with `calibrate`, fit the temperature on a held-out part."""
        started = time.perf_counter()
        counts = data.counts()
        if len(counts) < 2:
            raise NLUDataError("need at least two intents to train")
        if min(counts.values()) < 2:
            raise NLUDataError("every intent needs at least two examples")
        if calibrate:
            self.temperature = self._calibrate(data, progress)
        self._fit_once(data, progress)
        self.intents = {name: data.info(name) for name in self.classes}
        self.data_digest = data.digest()
        self.train_seconds = time.perf_counter() - started
        return self

    def _fit_once(self, data: TrainingData, progress: Progress | None) -> None:
        texts, labels = list(data.texts), list(data.labels)
        tune = self.config.tune
        if tune.layers > 0:
            self._encoder = tune_encoder(
                texts,
                labels,
                tune,
                progress=(lambda d, t: progress("tune", d, t)) if progress else None,
            )
        else:
            self._encoder = packaged_encoder()
        # Names join after tuning: the contrastive loss sees only real examples.
        texts, labels = with_intent_names(data, self.config.names_up_to)
        embeddings = self._encoder.encode(
            texts, progress=(lambda d, t: progress("encode", d, t)) if progress else None
        )
        self._featurizer = Featurizer(self.config.features).fit(texts, labels)
        x = self._featurizer.transform(texts, embeddings)
        if progress:
            progress("fit", 0, 1)
        if self.config.classifier == "svm":
            clf: Any = LinearSVC(C=self.config.c, max_iter=5000)
        elif self.config.classifier == "logreg":
            clf = LogisticRegression(C=self.config.c, max_iter=5000)
        else:
            raise ValueError(f"unknown classifier {self.config.classifier!r}")
        clf.fit(x, labels)
        if progress:
            progress("fit", 1, 1)
        self.classes = [str(c) for c in clf.classes_]
        coef = np.asarray(clf.coef_, dtype=np.float32)
        intercept = np.asarray(clf.intercept_, dtype=np.float32)
        if coef.shape[0] == 1:  # two classes: sklearn keeps one row; softmax of ±s/2 is
            coef = np.vstack([-coef, coef]) * np.float32(0.5)  # the same sigmoid(s)
            intercept = np.concatenate([-intercept, intercept]) * np.float32(0.5)
        self._coef, self._intercept = coef, intercept

    def _calibrate(self, data: TrainingData, progress: Progress | None) -> float:
        """Temperature from one stratified 25 % hold-out of `data` (the whole pipeline,
        tuning included, is fitted on the rest)."""
        rng = np.random.default_rng(self.config.tune.seed)
        by_label: dict[str, list[int]] = {}
        for i, label in enumerate(data.labels):
            by_label.setdefault(label, []).append(i)
        held: list[int] = []
        for idx in by_label.values():
            k = max(1, round(len(idx) * 0.25)) if len(idx) >= 4 else 0
            held.extend(rng.choice(idx, size=k, replace=False).tolist())
        if not held:
            return 1.0
        held_set = set(held)
        keep = [i for i in range(len(data)) if i not in held_set]
        part = TrainingData(
            tuple(data.texts[i] for i in keep), tuple(data.labels[i] for i in keep), data.intents
        )
        probe = IntentModel(self.config)
        probe._fit_once(
            part, (lambda p, d, t: progress(f"calibrate {p}", d, t)) if progress else None
        )
        scores = probe.scores([data.texts[i] for i in held])
        index = {c: i for i, c in enumerate(probe.classes)}
        rows = [
            (s, index[data.labels[i]])
            for s, i in zip(scores, held, strict=True)
            if data.labels[i] in index
        ]
        return fit_temperature(
            np.stack([r[0] for r in rows]), np.array([r[1] for r in rows], dtype=np.int64)
        )

    # -- inference --------------------------------------------------------------------

    def _ready(self) -> tuple[Encoder, Featurizer, np.ndarray, np.ndarray]:
        if (
            self._encoder is None
            or self._featurizer is None
            or self._coef is None
            or self._intercept is None
        ):
            raise RuntimeError("IntentModel is not fitted")
        return self._encoder, self._featurizer, self._coef, self._intercept

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Raw decision scores, shape (len(texts), len(classes))."""
        encoder, featurizer, coef, intercept = self._ready()
        if len(texts) == 1:  # one message: dense dot products, no sparse matrix to build
            out = intercept.astype(np.float64)
            if featurizer.config.embedding > 0:
                weighted = encoder.encode_one(texts[0]) * featurizer.config.embedding
                out = out + coef[:, : weighted.shape[0]] @ weighted
            idx, values = featurizer.lexical_one(texts[0])
            if len(idx):
                out = out + coef[:, idx] @ values
            return np.asarray(out)[None, :]
        x = featurizer.transform(texts, encoder.encode(texts))
        batch: np.ndarray = np.asarray(x @ coef.T) + intercept
        return batch

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, shape (len(texts), len(classes))."""
        return _softmax(self.scores(texts) / self.temperature)

    def predict_labels(self, texts: Sequence[str]) -> list[str]:
        """The likeliest intent of each text (no thresholds applied)."""
        if not texts:
            return []
        best = self.scores(texts).argmax(axis=1)
        return [self.classes[i] for i in best]

    def predict(self, text: str) -> IntentPrediction:
        """Parse one message."""
        return self._decide(self.probabilities([text])[0])

    def parse(self, text: str) -> IntentPrediction:
        """The assistant's NLU step (`predict` under the name the dialogue engine uses)."""
        return self.predict(text)

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        """Parse many messages (batched encoding)."""
        if not texts:
            return []
        return [self._decide(row) for row in self.probabilities(texts)]

    def _decide(self, probs: np.ndarray) -> IntentPrediction:
        cfg = self.config
        order = np.argsort(-probs)
        ranking = [(self.classes[i], round(float(probs[i]), 4)) for i in order[:RANKING_SIZE]]
        top, confidence = self.classes[order[0]], float(probs[order[0]])
        second = float(probs[order[1]]) if len(order) > 1 else 0.0
        out_of_scope = confidence < cfg.out_of_scope_floor or (
            top == OUT_OF_SCOPE and confidence >= cfg.confidence_threshold
        )
        unsure = confidence < cfg.confidence_threshold or confidence - second < cfg.margin_threshold
        needs = unsure and not out_of_scope
        question = None
        if needs:
            options = [name for name, _ in ranking if name != OUT_OF_SCOPE][:2]
            question = self.clarification(options)
        return IntentPrediction(
            intent=OUT_OF_SCOPE if out_of_scope else top,
            confidence=round(confidence, 4),
            ranking=ranking,
            needs_clarification=needs,
            out_of_scope=out_of_scope,
            clarification=question,
        )

    def clarification(self, options: Sequence[str]) -> str:
        """A question naming `options` by their titles."""
        titles = [(self.intents.get(o) or IntentInfo(o)).display for o in options]
        if len(titles) >= 2:
            return f"Do you want to {titles[0]}, or {titles[1]}?"
        return f"Do you want to {titles[0]}?" if titles else "Could you say that another way?"

    # -- persistence ------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the fitted model to one file (written aside, then renamed into place)."""
        encoder, featurizer, coef, intercept = self._ready()
        state = encoder.top_state()
        payload = {
            "version": MODEL_VERSION,
            "config": self.config,
            "classes": self.classes,
            "intents": self.intents,
            "temperature": self.temperature,
            "data_digest": self.data_digest,
            "train_seconds": self.train_seconds,
            "featurizer": featurizer,
            "coef": coef,
            "intercept": intercept,
            "tuned_layers": encoder.tuned_layers,
            "top_state": None if state is None else {k: v.numpy() for k, v in state.items()},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{id(self)}.tmp")
        joblib.dump(payload, tmp, compress=3)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        """Read a model written by `save`; refuses another model version."""
        payload: dict[str, Any] = joblib.load(path)
        if payload.get("version") != MODEL_VERSION:
            raise ValueError(f"{path}: model version {payload.get('version')} != {MODEL_VERSION}")
        model = cls(payload["config"])
        model.classes = list(payload["classes"])
        model.intents = dict(payload["intents"])
        model.temperature = float(payload["temperature"])
        model.data_digest = str(payload["data_digest"])
        model.train_seconds = float(payload["train_seconds"])
        model._featurizer = payload["featurizer"]
        model._coef = payload["coef"]
        model._intercept = payload["intercept"]
        top = payload["top_state"]
        if top is None:
            model._encoder = packaged_encoder()
        else:
            state = {k: torch.from_numpy(v) for k, v in top.items()}
            model._encoder = Encoder.with_top_state(int(payload["tuned_layers"]), state)
        return model
