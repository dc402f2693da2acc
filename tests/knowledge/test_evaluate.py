"""The question set, label matching, threshold calibration and a small evaluation run."""

from __future__ import annotations

from pathlib import Path

import pytest

from openteller.knowledge import (
    Hit,
    KnowledgeBase,
    KnowledgeError,
    calibrate_threshold,
    evaluate_retrieval,
    load_questions,
)
from openteller.knowledge._evaluate import matches


def test_the_packaged_question_set() -> None:
    questions = load_questions()
    assert len(questions) >= 150
    assert sum(1 for q in questions if q.kind == "unanswerable") >= 30
    assert sum(1 for q in questions if q.kind == "multi") >= 10
    assert {q.split for q in questions} == {"calibration", "test"}
    assert len({q.qid for q in questions}) == len(questions)
    assert len({q.text.lower() for q in questions}) == len(questions)


def test_every_label_names_an_indexed_section(kb: KnowledgeBase) -> None:
    sections = {(c.doc_id, c.section) for c in kb.snapshot.chunks}
    titles = {c.doc_id: c.title for c in kb.snapshot.chunks}
    for q in load_questions():
        for label in (*q.answers, *q.also):
            doc, _, section = (x.strip() for x in label.partition("|"))
            path = f"{titles[doc]} > {section}" if section else titles[doc]
            assert (doc, path) in sections, (q.qid, label)


def _hit(doc: str, section: str) -> Hit:
    return Hit("c", doc, "T", section, "", 0.0, "", "", 0.0)


def test_label_matching() -> None:
    assert matches(_hit("fee-schedule", "Fee schedule > Wires"), "fee-schedule | Wires")
    assert matches(_hit("fee-schedule", "Fee schedule > Wires > Premier"), "fee-schedule | Wires")
    assert not matches(_hit("fee-schedule", "Fee schedule > Wires2"), "fee-schedule | Wires")
    assert not matches(_hit("faq", "FAQ > Wires"), "fee-schedule | Wires")
    assert matches(_hit("fee-schedule", "Fee schedule"), "fee-schedule")
    assert not matches(_hit("fee-schedule", "Fee schedule > Wires"), "fee-schedule")


def test_calibration_picks_the_middle_of_the_widest_separating_gap() -> None:
    assert calibrate_threshold([0.1, 0.2, 0.5, 0.7], [True, True, False, False]) == 0.35
    # Input order does not matter; with an overlap (an answerable question at 0.2 below an
    # unanswerable one at 0.3), balanced accuracy prefers abstaining on all three lowest.
    assert calibrate_threshold([0.3, 0.1, 0.6], [True, True, False]) == 0.45
    assert calibrate_threshold([0.1, 0.2, 0.3, 0.6, 0.8], [True, False, True, False, False]) == 0.45
    with pytest.raises(KnowledgeError, match="needs answerable and unanswerable"):
        calibrate_threshold([0.1], [True])


def test_bad_question_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("questions:\n- {q: hi, kind: unanswerable, answers: [faq]}\n")
    with pytest.raises(KnowledgeError, match="unanswerable questions have no answers"):
        load_questions(path)
    path.write_text("nothing: here\n")
    with pytest.raises(KnowledgeError, match="non-empty `questions:` list"):
        load_questions(path)


def test_a_small_evaluation_run(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(
        "questions:\n"
        "- {id: a, split: calibration, q: 'what is the fee for an outgoing domestic wire?',"
        "   answers: ['fee-schedule | Wires']}\n"
        "- {id: b, split: test, q: 'How do I order more checks?',"
        "   answers: ['faq | How do I order checks?']}\n"
        "- {id: c, split: calibration, kind: unanswerable, q: 'What is the capital of France?'}\n"
        "- {id: d, split: test, kind: unanswerable, q: 'Who won the football game last night?'}\n"
    )
    report = evaluate_retrieval(kb, load_questions(path))
    assert {k: report[k] for k in ("questions", "answerable", "unanswerable")} == {
        "questions": 4, "answerable": 2, "unanswerable": 2,
    }  # fmt: skip
    assert (report["recall_at_1"], report["recall_at_5"], report["mrr"]) == (1.0, 1.0, 1.0)
    assert (report["abstain_precision"], report["abstain_recall"]) == (1.0, 1.0)
    assert report["misses"] == []
    assert report["wrong_abstain_decisions"] == []
    assert set(report["by_split"]) == {"calibration", "test"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("questions:\n- {q: 'x', answers: ['fee-schedule | Nowhere']}\n")
    with pytest.raises(KnowledgeError, match="labels name no indexed section"):
        evaluate_retrieval(kb, load_questions(bad))
