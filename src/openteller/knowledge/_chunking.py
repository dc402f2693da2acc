"""Chunking along the heading structure, with overlap.

A document splits into sections at its ``#`` headings; each section's path is its
headings from the top (``"Fee schedule > Wires"``). A section whose body is longer than
`max_words` becomes several windows of at most `max_words` words; consecutive windows share
`overlap` words, and a window ends at a paragraph break when one falls in its second half
(so chunks rarely cut a paragraph). Chunk text is an exact slice of the section body:
formatting (tables, lists) survives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_WORDS = 160  # about 220 word pieces: inside the encoder's 256-token passage window
OVERLAP_WORDS = 32

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_WORD = re.compile(r"\S+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Section:
    path: tuple[str, ...]
    body: str


@dataclass(frozen=True)
class Piece:
    """One chunk of a section: its heading path and its text."""

    section: str
    text: str
    start_word: int
    end_word: int


def sections(text: str, title: str) -> list[Section]:
    """Split Markdown-like text at headings; the title is the root of every path.

    A level-1 heading equal to the title is the title itself, not a child of it.
    """
    stack: list[tuple[int, str]] = []
    out: list[Section] = []
    body: list[str] = []

    def flush() -> None:
        content = "\n".join(body).strip()
        if content:
            path = (title, *[name for lvl, name in stack if not (lvl == 1 and name == title)])
            out.append(Section(path, content))
        body.clear()

    for line in text.splitlines():
        m = _HEADING.match(line)
        if m is None:
            body.append(line)
            continue
        flush()
        level, name = len(m.group(1)), m.group(2).strip()
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, name))
    flush()
    return out


def windows(n_words: int, breaks: set[int], max_words: int, overlap: int) -> list[tuple[int, int]]:
    """Word ranges [start, end) covering 0..n_words; see the module docstring."""
    if not 0 <= overlap < max_words:
        raise ValueError("overlap must be within 0..max_words-1")
    out: list[tuple[int, int]] = []
    start = 0
    while start < n_words:
        end = min(start + max_words, n_words)
        if end < n_words:
            half = start + max_words // 2
            candidates = [b for b in breaks if half < b < end and b - overlap > start]
            if candidates:
                end = max(candidates)
        out.append((start, end))
        if end >= n_words:
            break
        start = end - overlap
    return out


def split_section(
    section: Section, max_words: int = MAX_WORDS, overlap: int = OVERLAP_WORDS
) -> list[Piece]:
    """The chunks of one section, in order."""
    spans = [m.span() for m in _WORD.finditer(section.body)]
    if not spans:
        return []
    # A paragraph break before word i: the gap between words i-1 and i holds a blank line.
    breaks = {
        i
        for i in range(1, len(spans))
        if _PARAGRAPH_BREAK.search(section.body, spans[i - 1][1], spans[i][0])
    }
    path = " > ".join(section.path)
    return [
        Piece(path, section.body[spans[a][0] : spans[b - 1][1]], a, b)
        for a, b in windows(len(spans), breaks, max_words, overlap)
    ]


def chunk_text(
    text: str, title: str, max_words: int = MAX_WORDS, overlap: int = OVERLAP_WORDS
) -> list[Piece]:
    """Every chunk of a document, section by section."""
    return [
        piece
        for section in sections(text, title)
        for piece in split_section(section, max_words, overlap)
    ]
