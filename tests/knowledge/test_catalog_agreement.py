"""The corpus quotes the catalog: every $ amount, percent and cut-off time in the rendered
documents is a catalog figure or a whitelisted legal one; changing the catalog changes them."""

from __future__ import annotations

import re
from decimal import Decimal
from importlib import resources
from pathlib import Path

import yaml

from openteller.core import read_spec
from openteller.knowledge import LEGAL_FIGURES, corpus_dir, load_documents, unknown_figures

SPEC = read_spec()
DOCS = load_documents([corpus_dir()], SPEC, "OpenTeller Demo Bank")
REQUIRED = {
    "fee-schedule", "deposit-account-agreement", "truth-in-savings", "credit-card-agreement",
    "personal-loan", "overdraft-policy", "funds-availability", "transfers-and-wires",
    "lost-stolen-cards", "disputes-and-errors", "privacy-notice", "online-banking-terms",
    "complaints", "accessibility", "faq",
}  # fmt: skip


def test_the_corpus_has_every_required_document_with_metadata() -> None:
    ids = {d.doc_id for d in DOCS}
    assert ids >= REQUIRED
    assert len(DOCS) >= 15
    for doc in DOCS:
        assert doc.version == SPEC.version, doc.doc_id
        assert doc.effective_date == SPEC.effective_date.isoformat(), doc.doc_id
        assert doc.title, doc.doc_id
        assert "{{" not in doc.text, doc.doc_id


def test_every_figure_in_the_corpus_is_a_catalog_or_legal_figure() -> None:
    problems = {d.doc_id: unknown_figures(d.text, SPEC) for d in DOCS}
    assert {k: v for k, v in problems.items() if v} == {}


def test_the_corpus_quotes_figures_at_all() -> None:
    text = "\n".join(d.text for d in DOCS)
    assert len(re.findall(r"\$\d", text)) > 60
    assert "4:00 PM ET" in text
    assert "4.10%" in text


def test_the_scan_catches_a_figure_the_catalog_does_not_have() -> None:
    assert unknown_figures("A wire costs $26.00 and the APY is 4.25%, cut-off 3:00 PM.", SPEC) == [
        "$26.00", "4.25%", "3:00 PM",
    ]  # fmt: skip
    assert unknown_figures("Liability is capped at $50 or $500; wires cost $25.00.", SPEC) == []
    assert set(LEGAL_FIGURES) == {"$50", "$500", "$275", "$6,725"}


def test_the_wire_fee_section_quotes_both_checking_products() -> None:
    [fees] = [d for d in DOCS if d.doc_id == "fee-schedule"]
    wires = fees.text.split("## Wires", 1)[1].split("\n## ", 1)[0]
    amounts = {p.code: p for p in SPEC.products}
    everyday = amounts["everyday_checking"].fees
    premier = amounts["premier_checking"].fees
    assert [f.amount for f in everyday if f.code == "domestic_wire_out"] == [Decimal("25.00")]
    assert [f.amount for f in premier if f.code == "domestic_wire_out"] == [Decimal("15.00")]
    assert "outgoing domestic wire is $25.00 from Everyday Checking and $15.00 from Premier" in (
        " ".join(wires.split())
    )


def test_a_catalog_change_flows_into_the_documents(tmp_path: Path) -> None:
    source = resources.files("openteller.core") / "data" / "catalog.yaml"
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    for product in raw["products"]:
        for fee in product["fees"]:
            if product["code"] == "everyday_checking" and fee["code"] == "domestic_wire_out":
                fee["amount"] = "27.50"
    changed = tmp_path / "catalog.yaml"
    changed.write_text(yaml.safe_dump(raw), encoding="utf-8")
    spec = read_spec(changed)
    [fees] = [d for d in load_documents([corpus_dir()], spec, "B") if d.doc_id == "fee-schedule"]
    assert "$27.50" in fees.text
    assert "$25.00 from Everyday" not in fees.text
    # Text written against the changed catalog disagrees with the real one: the scan says so.
    assert unknown_figures(fees.text, SPEC) == ["$27.50", "$27.50"]
