"""Chunking: heading paths, window boundaries, overlap, exact slices of the source."""

from __future__ import annotations

import pytest

from openteller.knowledge import chunk_text
from openteller.knowledge._chunking import Section, sections, split_section, windows

DOC = """# Fee schedule

Intro line.

## Wires

Domestic wire fee.

### Premier

Cheaper wires.

## ATM fees

Network ATMs are free.
"""


def test_sections_follow_the_heading_structure() -> None:
    assert sections(DOC, "Fee schedule") == [
        Section(("Fee schedule",), "Intro line."),
        Section(("Fee schedule", "Wires"), "Domestic wire fee."),
        Section(("Fee schedule", "Wires", "Premier"), "Cheaper wires."),
        Section(("Fee schedule", "ATM fees"), "Network ATMs are free."),
    ]


def test_a_title_unlike_the_first_heading_stays_the_root() -> None:
    got = sections("## Part A\n\ntext a\n\n# Other\n\ntext b\n", "Doc")
    assert [s.path for s in got] == [("Doc", "Part A"), ("Doc", "Other")]


def test_text_without_headings_is_one_section_under_the_title() -> None:
    assert sections("just words\n\nmore words\n", "Note") == [
        Section(("Note",), "just words\n\nmore words")
    ]


def test_windows_overlap_by_the_given_number_of_words() -> None:
    assert windows(25, set(), 10, 3) == [(0, 10), (7, 17), (14, 24), (21, 25)]
    assert windows(10, set(), 10, 3) == [(0, 10)]
    assert windows(0, set(), 10, 3) == []


def test_windows_end_at_a_paragraph_break_in_their_second_half() -> None:
    # A break before word 8 (second half of 0..10) ends the window there; one before word 3
    # (first half) is ignored.
    assert windows(20, {3, 8}, 10, 2) == [(0, 8), (6, 16), (14, 20)]


def test_bad_overlap_is_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        windows(10, set(), 5, 5)


def test_chunks_are_exact_slices_with_overlap() -> None:
    body = " ".join(f"w{i}" for i in range(12))
    pieces = split_section(Section(("T", "S"), body), max_words=5, overlap=2)
    assert [(p.start_word, p.end_word) for p in pieces] == [(0, 5), (3, 8), (6, 11), (9, 12)]
    assert pieces[0].text == "w0 w1 w2 w3 w4"
    assert pieces[1].text == "w3 w4 w5 w6 w7"
    assert pieces[-1].text == "w9 w10 w11"
    assert {p.section for p in pieces} == {"T > S"}


def test_formatting_inside_a_chunk_is_kept() -> None:
    text = "# T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    [piece] = chunk_text(text, "T")
    assert piece.text == "| a | b |\n|---|---|\n| 1 | 2 |"
    assert piece.section == "T"
