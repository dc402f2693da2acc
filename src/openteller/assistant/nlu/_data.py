"""Training data: our intents from YAML, and `text,label` CSV files for training and evaluation.

The YAML files in `data/intents/` are the assistant's own wording; `data/heldout.yaml` is a
separate set of examples that no training ever reads (the tests measure the model on it).
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from openteller.core import ValidationFailed

# CSV label column, then the names other public data sets use (Banking77: `category`).
LABEL_COLUMNS = ("label", "category", "intent")
KINDS = ("task", "support", "dialogue")
OUT_OF_SCOPE = "out_of_scope"


class NLUDataError(ValidationFailed):
    """Training or evaluation data that cannot be used (missing file, columns, examples)."""

    code = "nlu_data_invalid"


@dataclass(frozen=True)
class IntentInfo:
    """What an intent is for: `kind` is task, support (answered from documents) or dialogue;
    `title` completes "Do you want to ...?" in a clarification question."""

    name: str
    kind: str = "task"
    title: str = ""

    @property
    def display(self) -> str:
        return self.title or self.name.replace("_", " ")


@dataclass(frozen=True)
class TrainingData:
    """Labelled examples (parallel tuples) and what is known about each intent."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    intents: dict[str, IntentInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise NLUDataError("texts and labels differ in length")

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def label_set(self) -> list[str]:
        return sorted(set(self.labels))

    def counts(self) -> Counter[str]:
        return Counter(self.labels)

    def info(self, intent: str) -> IntentInfo:
        return self.intents.get(intent) or IntentInfo(intent)

    def digest(self) -> str:
        """SHA-256 of the examples and intent metadata, independent of their order."""
        h = hashlib.sha256()
        for label, text in sorted(zip(self.labels, self.texts, strict=True)):
            h.update(f"{label}\t{text}\n".encode())
        for name in sorted(self.intents):
            info = self.intents[name]
            h.update(f"#{name}\t{info.kind}\t{info.title}\n".encode())
        return h.hexdigest()

    def sample(self, shots: int, seed: int) -> TrainingData:
        """`shots` examples per intent, drawn with `seed`; refuses an intent with fewer."""
        by_label: dict[str, list[str]] = {}
        for text, label in zip(self.texts, self.labels, strict=True):
            by_label.setdefault(label, []).append(text)
        short = {k: len(v) for k, v in by_label.items() if len(v) < shots}
        if short:
            least = min(short.values())
            raise NLUDataError(
                f"--shots {shots} is more than the {least} examples of the smallest intent",
                intents=sorted(short)[:10],
            )
        rng = random.Random(seed)
        texts: list[str] = []
        labels: list[str] = []
        for label in sorted(by_label):
            for text in rng.sample(by_label[label], shots):
                texts.append(text)
                labels.append(label)
        return TrainingData(tuple(texts), tuple(labels), self.intents)


def _data_dir() -> Path:
    return Path(str(resources.files("openteller.assistant.nlu") / "data"))


def load_intents(directory: Path | None = None) -> TrainingData:
    """Read every `*.yaml` of `directory` (default: the packaged intents).

    A file holds ``kind`` (task, support, dialogue) and ``intents``: a list of
    ``{name, title, examples}``. An intent named twice, or an example listed under two
    intents, is refused.
    """
    folder = directory or _data_dir() / "intents"
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise NLUDataError(f"no intent files (*.yaml) in {folder}")
    texts: list[str] = []
    labels: list[str] = []
    intents: dict[str, IntentInfo] = {}
    seen: dict[str, str] = {}
    for path in files:
        doc: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or not isinstance(doc.get("intents"), list):
            raise NLUDataError(f"{path.name}: expected a mapping with an 'intents' list")
        kind = str(doc.get("kind", "task"))
        if kind not in KINDS:
            raise NLUDataError(f"{path.name}: kind must be one of {', '.join(KINDS)}")
        for entry in doc["intents"]:
            name = str(entry["name"])
            if name in intents:
                raise NLUDataError(f"{path.name}: intent {name} is defined twice")
            intents[name] = IntentInfo(name, kind, str(entry.get("title", "")))
            for raw in entry.get("examples") or []:
                text = str(raw).strip()
                key = text.lower()
                if key in seen and seen[key] != name:
                    raise NLUDataError(
                        f"{path.name}: {text!r} is an example of {seen[key]} and {name}"
                    )
                seen[key] = name
                texts.append(text)
                labels.append(name)
    return TrainingData(tuple(texts), tuple(labels), intents)


def load_heldout(path: Path | None = None) -> TrainingData:
    """The held-out examples of our intents (never used in training)."""
    file = path or _data_dir() / "heldout.yaml"
    doc: Any = yaml.safe_load(file.read_text(encoding="utf-8"))
    texts: list[str] = []
    labels: list[str] = []
    for label, examples in (doc.get("examples") or {}).items():
        for text in examples:
            texts.append(str(text).strip())
            labels.append(str(label))
    return TrainingData(tuple(texts), tuple(labels))


def read_csv(path: Path, *, min_per_intent: int = 1) -> TrainingData:
    """Read a CSV with a `text` column and a `label` column (or `category`, `intent`).

    Raises `NLUDataError` for a missing or unreadable file, missing columns, empty text
    or label cells, fewer than two intents, or an intent with fewer than `min_per_intent`
    examples.
    """
    if not path.is_file():
        raise NLUDataError(f"no such CSV file: {path}")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip().lower() for c in reader.fieldnames or []]
            label_col = next((c for c in LABEL_COLUMNS if c in columns), None)
            if "text" not in columns or label_col is None:
                raise NLUDataError(
                    f"{path}: expected columns text,label (found {','.join(columns) or 'none'})"
                )
            reader.fieldnames = columns
            texts: list[str] = []
            labels: list[str] = []
            for line, row in enumerate(reader, start=2):
                text = (row.get("text") or "").strip()
                label = (row.get(label_col) or "").strip()
                if not text or not label:
                    raise NLUDataError(f"{path}:{line}: empty text or label")
                texts.append(text)
                labels.append(label)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise NLUDataError(f"{path}: not a readable UTF-8 CSV file ({exc})") from exc
    data = TrainingData(tuple(texts), tuple(labels))
    counts = data.counts()
    if len(counts) < 2:
        raise NLUDataError(f"{path}: need at least two intents, found {len(counts)}")
    few = sorted(label for label, n in counts.items() if n < min_per_intent)
    if few:
        raise NLUDataError(
            f"{path}: {len(few)} intents have fewer than {min_per_intent} examples",
            intents=few[:10],
        )
    return data
