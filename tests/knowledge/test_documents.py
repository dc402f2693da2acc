"""Each document format: Markdown (front matter, templates), HTML, PDF, plain text."""

from __future__ import annotations

from pathlib import Path

import pytest

from openteller.core import read_spec
from openteller.knowledge import KnowledgeError, chunk_document, load_document, load_documents

SPEC = read_spec()
BANK = "Test Bank"


def minimal_pdf(lines: list[str], title: str) -> bytes:
    """A one-page PDF written by hand: Helvetica text lines, an info dictionary."""
    stream = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({x}) '" for x in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({title}) /version (7) /effective_date (2026-01-02) >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return out


def test_markdown_front_matter_and_catalog_placeholders(tmp_path: Path) -> None:
    path = tmp_path / "wires.md"
    path.write_text(
        "---\nid: Wire Fees\ntitle: Wires\nversion: '3'\neffective_date: 2026-11-01\n"
        "template: true\n---\n# Wires\n\n## Domestic\n\n"
        'Everyday: {{ fee("everyday_checking", "domestic_wire_out") }}; '
        "cut-off {{ cutoff('wire') }} at {{ bank_name }}.\n",
        encoding="utf-8",
    )
    doc = load_document(path, SPEC, BANK)
    assert (doc.doc_id, doc.title, doc.version, doc.effective_date, doc.kind) == (
        "wire-fees", "Wires", "3", "2026-11-01", "markdown",
    )  # fmt: skip
    [chunk] = chunk_document(doc)
    assert chunk.section == "Wires > Domestic"
    assert chunk.text == "Everyday: $25.00; cut-off 4:00 PM ET at Test Bank."
    assert chunk.chunk_id == "wire-fees#000"


def test_markdown_without_template_flag_is_not_rendered(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("# Note\n\nKeep {{ this }} literally.\n", encoding="utf-8")
    doc = load_document(path, SPEC, BANK)
    assert (doc.doc_id, doc.title, doc.version) == ("note", "Note", "")
    assert doc.text == "# Note\n\nKeep {{ this }} literally.\n"


def test_html_headings_become_sections(tmp_path: Path) -> None:
    path = tmp_path / "cards.html"
    path.write_text(
        "<html><head><title>Card help</title><meta name='version' content='2'>"
        "<meta name='doc-id' content='card-help'><style>p {color: red}</style></head>"
        "<body><h1>Card help</h1><p>Intro &amp; more.</p><h2>Lost cards</h2>"
        "<p>Call us.</p><ul><li>Lock it</li><li>Order one</li></ul>"
        "<script>var x = 1;</script></body></html>",
        encoding="utf-8",
    )
    doc = load_document(path, SPEC, BANK)
    assert (doc.doc_id, doc.title, doc.version, doc.kind) == ("card-help", "Card help", "2", "html")
    chunks = chunk_document(doc)
    assert [(c.section, c.text) for c in chunks] == [
        ("Card help", "Intro & more."),
        ("Card help > Lost cards", "Call us.\n\n- Lock it\n- Order one"),
    ]


def test_pdf_text_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "policy.pdf"
    path.write_bytes(minimal_pdf(["Overdraft policy text.", "Second line here."], "Policy"))
    doc = load_document(path, SPEC, BANK)
    assert (doc.doc_id, doc.title, doc.version, doc.effective_date, doc.kind) == (
        "policy", "Policy", "7", "2026-01-02", "pdf",
    )  # fmt: skip
    [chunk] = chunk_document(doc)
    assert chunk.section == "Policy"
    assert chunk.text.split() == ["Overdraft", "policy", "text.", "Second", "line", "here."]


def test_broken_pdf_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nnot really a pdf")
    with pytest.raises(KnowledgeError, match="cannot read PDF"):
        load_document(path, SPEC, BANK)


def test_plain_text(tmp_path: Path) -> None:
    path = tmp_path / "branch-hours.txt"
    path.write_text("Open 9 to 5.\n\nClosed Sundays.\n", encoding="utf-8")
    doc = load_document(path, SPEC, BANK)
    assert (doc.doc_id, doc.title, doc.kind) == ("branch-hours", "branch hours", "text")
    [chunk] = chunk_document(doc)
    assert (chunk.section, chunk.text) == ("branch hours", "Open 9 to 5.\n\nClosed Sundays.")


def test_bad_inputs_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.docx").write_bytes(b"x")
    with pytest.raises(KnowledgeError, match=r"unsupported document type a\.docx"):
        load_document(tmp_path / "a.docx", SPEC, BANK)
    with pytest.raises(KnowledgeError, match="no such file or folder"):
        load_documents([tmp_path / "missing"], SPEC, BANK)
    (tmp_path / "d1").mkdir()
    (tmp_path / "d1" / "x.md").write_text("---\nid: same\n---\nA\n", encoding="utf-8")
    (tmp_path / "d1" / "y.txt").write_text("---\nid: same\n---\nB\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="two documents with id 'same'"):
        load_documents([tmp_path / "d1"], SPEC, BANK)
    bad = tmp_path / "bad.md"
    bad.write_text('---\ntemplate: true\n---\n{{ fee("nope", "x") }}\n', encoding="utf-8")
    with pytest.raises(KnowledgeError, match="unknown product 'nope'"):
        load_document(bad, SPEC, BANK)
