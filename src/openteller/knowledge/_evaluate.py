"""Retrieval evaluation on a labelled question set, and calibration of the abstain threshold.

Metrics over answerable questions: recall@1, recall@5 (a correct section among the first
1 / 5 hits) and MRR (reciprocal rank of the first correct hit, 0 beyond 5). Abstention is a
yes/no decision per question: precision and recall of "abstain" against the questions
labelled unanswerable. The threshold is calibrated on the `calibration` split only, so the
`test` split measures it on questions it never saw.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from openteller.knowledge._errors import KnowledgeError
from openteller.knowledge._search import Hit, KnowledgeBase, SearchResult

KINDS = ("single", "multi", "unanswerable")
SPLITS = ("calibration", "test")


@dataclass(frozen=True)
class Question:
    qid: str
    text: str
    kind: str
    split: str
    answers: tuple[str, ...]
    also: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"


def questions_path() -> Path:
    return Path(str(resources.files("openteller.knowledge") / "eval" / "questions.yaml"))


def load_questions(path: Path | None = None) -> list[Question]:
    """Parse a question file (format: see the packaged eval/questions.yaml)."""
    source = path or questions_path()
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"cannot read questions {source}: {exc}") from exc
    items = raw.get("questions") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise KnowledgeError(f"{source}: expected a non-empty `questions:` list")
    out: list[Question] = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not str(item.get("q", "")).strip():
            raise KnowledgeError(f"{source}: question {i} has no `q`")
        kind = str(item.get("kind", "single"))
        split = str(item.get("split", "test"))
        if kind not in KINDS or split not in SPLITS:
            raise KnowledgeError(f"{source}: question {i}: kind {kind!r} / split {split!r}")
        answers = tuple(str(a) for a in item.get("answers") or ())
        if (kind == "unanswerable") != (not answers):
            raise KnowledgeError(
                f"{source}: question {i}: unanswerable questions have no answers, others do"
            )
        also = tuple(str(a) for a in item.get("also") or ())
        out.append(
            Question(str(item.get("id", f"q{i}")), str(item["q"]), kind, split, answers, also)
        )
    return out


def _parse_label(label: str) -> tuple[str, str]:
    doc, _, section = label.partition("|")
    return doc.strip(), section.strip()


def matches(hit: Hit, label: str) -> bool:
    """Does `hit` come from the section a label names (or one of its subsections)?"""
    doc, section = _parse_label(label)
    if hit.doc_id != doc:
        return False
    relative = " > ".join(hit.section.split(" > ")[1:])
    return relative == section or (bool(section) and relative.startswith(section + " > "))


def _check_labels(kb: KnowledgeBase, questions: list[Question]) -> None:
    known = {(c.doc_id, " > ".join(c.section.split(" > ")[1:])) for c in kb.snapshot.chunks}
    bad = sorted(
        {
            label
            for q in questions
            for label in (*q.answers, *q.also)
            if not any(
                d == _parse_label(label)[0]
                and (s == _parse_label(label)[1] or s.startswith(_parse_label(label)[1] + " > "))
                for d, s in known
            )
        }
    )
    if bad:
        raise KnowledgeError(f"labels name no indexed section: {'; '.join(bad[:5])}")


def _rank(result: SearchResult, labels: tuple[str, ...]) -> int | None:
    for i, hit in enumerate(result.hits, start=1):
        if any(matches(hit, label) for label in labels):
            return i
    return None


def calibrate_threshold(confidences: list[float], unanswerable: list[bool]) -> float:
    """The threshold that best separates answerable from unanswerable questions.

    Maximises balanced accuracy (mean of the answer rate on answerable questions and the
    abstain rate on unanswerable ones); among equally good thresholds, the middle of the
    widest gap between neighbouring confidences.
    """
    pairs = sorted(zip(confidences, unanswerable, strict=True))
    n_unans = sum(unanswerable)
    n_ans = len(pairs) - n_unans
    if n_unans == 0 or n_ans == 0:
        raise KnowledgeError("calibration needs answerable and unanswerable questions")
    best: tuple[float, float, float] | None = None  # (score, gap, threshold)
    abstained_unans = abstained_ans = 0
    for i in range(len(pairs) + 1):
        if i > 0:
            if pairs[i - 1][1]:
                abstained_unans += 1
            else:
                abstained_ans += 1
        low = pairs[i - 1][0] if i > 0 else pairs[0][0] - 0.05
        high = pairs[i][0] if i < len(pairs) else pairs[-1][0] + 0.05
        if high <= low:
            continue
        score = 0.5 * (abstained_unans / n_unans + (n_ans - abstained_ans) / n_ans)
        candidate = (round(score, 9), high - low, (low + high) / 2)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    assert best is not None
    return round(best[2], 4)


def _metrics(rows: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    abstained = [r for r in rows if r["confidence"] < threshold]
    true_abstain = sum(1 for r in abstained if not r["answerable"])
    ranks = [r["rank"] for r in answerable]
    multi = [r for r in answerable if r["kind"] == "multi"]
    n = max(1, len(answerable))
    answered_right = sum(
        1 for r in answerable if r["rank"] is not None and r["confidence"] >= threshold
    )
    return {
        "questions": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "recall_at_1": round(sum(1 for x in ranks if x == 1) / n, 4),
        "recall_at_5": round(sum(1 for x in ranks if x is not None) / n, 4),
        "mrr": round(sum(1 / x for x in ranks if x is not None) / n, 4),
        "abstain_precision": round(true_abstain / len(abstained), 4) if abstained else 1.0,
        "abstain_recall": round(true_abstain / len(unanswerable), 4) if unanswerable else 1.0,
        "abstain_accuracy": round(
            sum(1 for r in rows if (r["confidence"] < threshold) != r["answerable"]) / len(rows),
            4,
        )
        if rows
        else 0.0,
        "false_abstentions": sum(1 for r in answerable if r["confidence"] < threshold),
        "answered_correctly_at_5": round(answered_right / n, 4),
        "multi_all_parts_at_5": round(
            sum(1 for r in multi if r["rank"] is not None and r["also_rank"] is not None)
            / len(multi),
            4,
        )
        if multi
        else None,
    }


def evaluate_retrieval(
    kb: KnowledgeBase,
    questions: list[Question],
    *,
    k: int = 5,
    calibrate: bool = False,
) -> dict[str, Any]:
    """Search every question once; metrics overall and per split (see module docstring).

    With `calibrate`, the threshold is first set from the calibration split; otherwise the
    knowledge base's own threshold is measured.
    """
    _check_labels(kb, questions)
    rows: list[dict[str, Any]] = []
    latencies: list[float] = []
    for q in questions:
        started = time.perf_counter()
        result = kb.search(q.text, k=k)
        latencies.append((time.perf_counter() - started) * 1000)
        rows.append(
            {
                "id": q.qid,
                "kind": q.kind,
                "split": q.split,
                "answerable": q.answerable,
                "confidence": result.confidence,
                "rank": _rank(result, q.answers + q.also) if q.answerable else None,
                "also_rank": _rank(result, q.also) if q.also else None,
                "top": f"{result.hits[0].doc_id} | {result.hits[0].section}" if result.hits else "",
            }
        )
    threshold = kb.threshold
    calibration_rows = [r for r in rows if r["split"] == "calibration"]
    if calibrate:
        threshold = calibrate_threshold(
            [r["confidence"] for r in calibration_rows],
            [not r["answerable"] for r in calibration_rows],
        )
    latencies.sort()
    report: dict[str, Any] = _metrics(rows, threshold)
    report |= {
        "threshold": threshold,
        "calibrated_here": calibrate,
        "k": k,
        "by_split": {
            split: _metrics([r for r in rows if r["split"] == split], threshold)
            for split in SPLITS
            if any(r["split"] == split for r in rows)
        },
        "latency_ms": {
            "p50": round(latencies[len(latencies) // 2], 2),
            "p95": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 2),
        },
        "misses": [
            {"id": r["id"], "top": r["top"]} for r in rows if r["answerable"] and r["rank"] is None
        ],
        "wrong_abstain_decisions": [
            {"id": r["id"], "confidence": round(r["confidence"], 4)}
            for r in rows
            if (r["confidence"] < threshold) == r["answerable"]
        ],
    }
    return report
