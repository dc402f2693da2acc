"""Input screening: prompt injection and jailbreak, topic scope, rights invocation.

Injection is scored twice and the higher score wins: hand-written heuristics (phrases
that only attacks use: "ignore your previous instructions", "developer mode", "reveal
your prompt") and a logistic-regression classifier over the packaged MiniLM embeddings,
trained in-process from our own examples (`data/screening.yaml` plus the assistant's
intent examples as ordinary banking traffic). The recent user turns are screened one by
one and joined, so an attack spread over several messages is seen whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

INJECTION = "injection"
OFF_TOPIC = "off_topic"
BANKING = "banking"
CLASSES = (BANKING, INJECTION, OFF_TOPIC)
INJECTION_THRESHOLD = 0.8
OFF_TOPIC_THRESHOLD = 0.85
RECENT_TURNS = 3
MODEL_VERSION = "1"
C = 4.0

_HEURISTICS: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(p, re.IGNORECASE), w)
    for p, w in (
        (
            r"\b(ignore|disregard|forget|override|bypass)\b[^.?!]{0,40}\b(previous|prior|above|"
            r"earlier|all|your|the|any)\b[^.?!]{0,25}\b(instructions?|prompts?|rules|"
            r"directives|guidelines|polic(y|ies)|programming|restrictions|filters)\b",
            1.0,
        ),
        (r"\b(system|initial|hidden|original|secret)\s+(prompt|instructions?|message)\b", 0.95),
        (
            r"\b(reveal|print|show|repeat|output|dump|leak|tell me)\b[^.?!]{0,30}\b(your|the)\s+"
            r"(prompt|instructions|configuration|rules you follow)\b",
            0.9,
        ),
        (r"\b(developer|dev|god|jailbreak|maintenance|debug|sudo|admin)\s+mode\b", 1.0),
        (r"\bdo anything now\b|\bDAN\b(?!\w)", 1.0),
        (
            r"\b(no|without|free from|freed from)\s+(any\s+)?(restrictions|filters|limits|rules|"
            r"guidelines|censorship|content polic(y|ies))\b",
            0.9,
        ),
        (r"\b(unfiltered|uncensored|unrestricted|jailbroken)\b", 0.9),
        (r"\bstay in character\b|\bnever (refuse|say no)\b", 0.9),
        (
            r"\b(pretend|act|behave|roleplay|role-play)\b[^.?!]{0,20}\b(you are|as an?|to be)\b"
            r"[^.?!]{0,40}\b(ai|model|assistant|bot|hacker|employee|admin|developer)\b",
            0.85,
        ),
        (r"</?\s*(system|assistant|user)\s*>|\[\s*(system|admin|inst)\s*\]|#{2,}\s*system", 1.0),
        (r"^\s*system\s*:", 0.9),
        (r"\b(api|secret|signing)\s+keys?\b|\bpasswords? (of|for) (all|every|other)\b", 0.85),
        (r"\bselect\s+\*\s+from\b|\bdrop\s+table\b|;\s*--", 1.0),
        (r"\bbase64\b", 0.8),
        # Banking: other people's data, authority the customer does not have.
        (
            r"\b(other|all|every|another)\s+(users?|customers?|clients?|account\s*holders?|"
            r"members?)\b[^.?!]{0,40}\b(data|details|balances?|card numbers?|cards|ssns?|"
            r"transactions|accounts?|names|addresses|passwords?)\b|\b(card numbers?|balances?|"
            r"ssns?|transactions|details|data)\b[^.?!]{0,40}\b(other|all|every|another)\s+"
            r"(users?|customers?|clients?|account\s*holders?)\b",
            0.9,
        ),
        (r"\b(customer|user|person)\s+(before|after|ahead of)\s+me\b|\bprevious\s+customer\b", 0.9),
        (
            r"\b(neighbou?r|friend|colleague|someone else|another person|stranger)'?s\s+"
            r"(account|balance|card|transactions|statement|ssn)\b|\b(it'?s|belongs to)\s+my\s+"
            r"(neighbou?r|friend|colleague|boss)",
            0.85,
        ),
        (
            r"\b(forget|stop being|no longer)\b[^.?!]{0,20}\b(an?\s+)?(assistant|bot|ai|chatbot)\b",
            0.9,
        ),
        (
            r"\boverride\s*:|\boverride\b[^.?!]{0,30}\b(limits?|rules|policy|verification|checks)\b",
            0.9,
        ),
        (
            r"\bdump\b[^.?!]{0,30}\b(table|database|data|records)\b|\b\w+\s+table\b[^.?!]{0,20}\ball\b",
            0.9,
        ),
        (
            r"\b(approve|waive|raise|increase|refund)\b[^.?!]{0,40}\b(without|skip\w*|no need)\b"
            r"[^.?!]{0,30}\b(credit check|verification|review|approval|ticket|confirm\w*)\b",
            0.85,
        ),
    )
)
_BANKING_WORDS = re.compile(
    r"\b(account|card|balance|transfer|loan|fee|fees|bank|banking|payment|pay|deposit|"
    r"withdraw\w*|atm|credit|debit|overdraft|interest|apr|apy|payee|wire|ach|statement|"
    r"charge[ds]?|transaction|refund|dispute|pin|savings|checking|mortgage|money|cash|"
    r"cheque|check|iban|routing|limit|top[ -]?ups?|verif\w*|identity|passcode|contactless|"
    r"beneficiar\w*|exchange rate|currenc\w*|stolen|lost|app)\b",
    re.IGNORECASE,
)

# Rights a customer invokes: each must reach a person (CFPB chatbot spotlight, Reg E
# §1005.11, Reg Z §1026.13).
_RIGHTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(p, re.IGNORECASE))
    for name, p in (
        (
            "dispute",
            r"\bdisput\w*|\bcharge\s?back\b|\b(did ?n[o']?t|never) (make|authori[sz]e|recogni[sz]e)"
            r"\b|\b(don'?t|do not) recogni[sz]e\b|\bcontest (a|this|the) (charge|transaction)\b",
        ),
        (
            "billing_error",
            r"\bbilling (error|mistake)\b|\b(charged|billed) (me )?(twice|two times|double)\b|"
            r"\bdouble[- ](charged|billed)\b|\bover ?charged\b|\b(error|mistake) on my "
            r"(bill|statement)\b|\b(wrong|incorrect) (amount|charge|fee)\b",
        ),
        (
            "fraud",
            r"\bfraud\w*|\bscam(med)?\b|\bidentity theft\b|\b(stolen|hacked|compromised)\b|"
            r"\bunauthori[sz]ed\b|\bsomeone (used|stole|took|opened|accessed)\b",
        ),
        (
            "complaint",
            r"\bcomplain\w*|\bgrievance\b|\breport (you|this bank|the bank) to\b|\bcfpb\b|"
            r"\bombudsman\b",
        ),
        (
            "human",
            r"\b(human|real person|live (agent|person)|(an? )?agent|representative|operator|"
            r"someone (real|from the bank)|customer (service|support)|a person|talk to "
            r"(someone|somebody)|speak (to|with) (someone|somebody))\b",
        ),
    )
)


@dataclass(frozen=True)
class Screening:
    injection_score: float
    injection: bool
    heuristic: str | None  # the pattern that fired, if any
    off_topic_score: float
    out_of_scope: bool


def rights_invoked(text: str) -> list[str]:
    """Which rights the message invokes (dispute, billing_error, fraud, complaint, human)."""
    return [name for name, pattern in _RIGHTS if pattern.search(text)]


def heuristic_score(text: str) -> tuple[float, str | None]:
    best, which = 0.0, None
    for pattern, weight in _HEURISTICS:
        if weight > best and pattern.search(text):
            best, which = weight, pattern.pattern[:60]
    return best, which


@dataclass(frozen=True)
class LinearModel:
    """A multinomial logistic regression as plain arrays (classes in CLASSES order)."""

    coef: np.ndarray  # (classes, 384)
    intercept: np.ndarray  # (classes,)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = vectors @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        out: np.ndarray = e / e.sum(axis=1, keepdims=True)
        return out


class ScreeningModel:
    """The screening classifier: trained once from the packaged examples, cached on disk
    (`model_dir()/guard-screening-<digest>.npz`, the NLU's model folder) and in memory."""

    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory
        self._linear: LinearModel | None = None
        self._lock = threading.Lock()

    def model(self) -> LinearModel:
        with self._lock:
            if self._linear is None:
                self._linear = _load_or_train(self._directory)
            return self._linear

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Rows of class probabilities in CLASSES order.

        Encoding runs on one torch thread: one short query is a tiny forward pass, and two
        threads on a busy machine were measured 30x slower (631 ms against 23 ms)."""
        from openteller.embeddings import packaged_encoder, torch_threads

        linear = self.model()
        encoder = packaged_encoder()
        with torch_threads(1):
            vectors = encoder.encode_cached(texts) if len(texts) <= 4 else encoder.encode(texts)
        return linear.probabilities(vectors)

    def screen_batch(self, messages: list[str]) -> list[Screening]:
        """Each message screened on its own (no earlier turns), encoded in batches: for
        evaluations over thousands of queries. Same thresholds as `screen`."""
        probs = self.probabilities(messages) if messages else np.zeros((0, 3))
        return [_verdict([m], row[1], row[2]) for m, row in zip(messages, probs, strict=True)]

    def screen(self, recent: list[str]) -> Screening:
        """Screen the last `RECENT_TURNS` user messages, alone and joined."""
        turns = [t for t in recent[-RECENT_TURNS:] if t.strip()]
        if not turns:
            return Screening(0.0, False, None, 0.0, False)
        candidates = turns + ([" ".join(turns)] if len(turns) > 1 else [])
        probs = self.probabilities(candidates)
        return _verdict(candidates, float(probs[:, 1].max()), float(probs[len(turns) - 1, 2]))


def _verdict(candidates: list[str], injection_p: float, off_topic_p: float) -> Screening:
    """Combine the heuristics over `candidates` (the last turn is candidates[-1] when alone,
    else the turns then their join) with the classifier's probabilities."""
    h_best, h_which = 0.0, None
    for text in candidates:
        score, which = heuristic_score(text)
        if score > h_best:
            h_best, h_which = score, which
    last = candidates[0] if len(candidates) == 1 else candidates[-2]
    banking = bool(_BANKING_WORDS.search(last))
    score = max(h_best, injection_p)
    return Screening(
        injection_score=round(score, 4),
        injection=score >= INJECTION_THRESHOLD,
        heuristic=h_which if h_best >= INJECTION_THRESHOLD else None,
        off_topic_score=round(off_topic_p, 4),
        out_of_scope=off_topic_p >= OFF_TOPIC_THRESHOLD
        and not banking
        and not rights_invoked(last),
    )


def training_data() -> tuple[list[str], list[str]]:
    """(texts, labels): our screening examples plus the assistant's intent examples."""
    raw = yaml.safe_load(
        (resources.files("openteller.guardrails") / "data" / "screening.yaml").read_text(
            encoding="utf-8"
        )
    )
    texts: list[str] = []
    labels: list[str] = []
    for label in CLASSES:
        for example in raw[label]:
            texts.append(str(example))
            labels.append(label)
    # Imported here: the assistant imports guardrails, not the other way round at load.
    from openteller.assistant.nlu import load_intents

    intents = load_intents()
    for text, intent in zip(intents.texts, intents.labels, strict=True):
        texts.append(text)
        labels.append(OFF_TOPIC if intent == "out_of_scope" else BANKING)
    return texts, labels


def _load_or_train(directory: Path | None) -> LinearModel:
    from openteller.core import model_dir

    texts, labels = training_data()
    digest = hashlib.sha256(
        json.dumps([MODEL_VERSION, C, texts, labels]).encode("utf-8")
    ).hexdigest()[:16]
    path = model_dir(directory) / f"guard-screening-{digest}.npz"
    if path.is_file():
        with np.load(path) as saved:
            return LinearModel(saved["coef"], saved["intercept"])
    linear = _train(texts, labels)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(tmp, coef=linear.coef, intercept=linear.intercept)
    tmp.replace(path)  # atomic: concurrent trainers write the same content
    return linear


def _train(texts: list[str], labels: list[str]) -> LinearModel:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    from openteller.embeddings import packaged_encoder

    vectors = packaged_encoder().encode(texts)
    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
    clf.fit(vectors, labels)
    order = [list(clf.classes_).index(c) for c in CLASSES]
    return LinearModel(
        np.asarray(clf.coef_[order], dtype=np.float32),
        np.asarray(clf.intercept_[order], dtype=np.float32),
    )


_shared: ScreeningModel | None = None
_shared_lock = threading.Lock()


def shared_model() -> ScreeningModel:
    """The process-wide screening model."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ScreeningModel()
        return _shared
