"""The adverse-action notice (Reg B 12 CFR 1002.9; FCRA section 615(a)), as text and HTML.

It states the action taken, the principal reasons (at most four, specific, never a
protected attribute), the score used with its range, date and key factors, the source
of the information (and the consumer reporting agency's details and the applicant's
rights when a consumer report was used), the ECOA notice with the federal agency, and the
right to ask for a person to review the decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import jinja2

from openteller.credit._decision import Reason

# The federal agency for a bank with over $10 billion in assets (Reg B Appendix A); a
# smaller bank names its prudential regulator instead.
CFPB = {
    "name": "Consumer Financial Protection Bureau",
    "address": "1700 G Street NW, Washington, DC 20552",
}


@dataclass(frozen=True)
class ConsumerReportSource:
    """The consumer reporting agency whose report was used (FCRA 615(a)(3))."""

    name: str
    address: str
    phone: str


@dataclass(frozen=True)
class Notice:
    text: str
    html: str
    reasons: tuple[Reason, ...]
    key_factors: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "html": self.html,
            "reasons": [r.to_dict() for r in self.reasons],
            "key_factors": [r.to_dict() for r in self.key_factors],
        }


@cache
def _environment(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("openteller.credit", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_notice(
    *,
    bank_name: str,
    bank_address: str,
    on: date,
    application_ref: str,
    applicant: str,
    product_name: str,
    amount: str,
    term_months: int,
    reasons: tuple[Reason, ...],
    key_factors: tuple[Reason, ...],
    score: int,
    score_range: tuple[int, int],
    model: str,
    consumer_report: ConsumerReportSource | None = None,
) -> Notice:
    """Render the notice for one declined application."""
    context = {
        "creditor": {"name": bank_name, "address": bank_address},
        "date": on.isoformat(),
        "application_ref": application_ref,
        "applicant": applicant,
        "product_name": product_name,
        "amount": amount,
        "term_months": term_months,
        "reasons": [r.to_dict() for r in reasons],
        "key_factors": [r.to_dict() for r in key_factors],
        "score": {
            "value": score,
            "low": score_range[0],
            "high": score_range[1],
            "date": on.isoformat(),
            "model": model,
        },
        "consumer_report": None if consumer_report is None else consumer_report.__dict__,
        "agency": CFPB,
    }
    text = _environment(False).get_template("notice.txt.j2").render(context)
    html = _environment(True).get_template("notice.html.j2").render(context)
    return Notice(_tidy(text), html, reasons, key_factors)


def _tidy(text: str) -> str:
    """At most one blank line in a row (the template's conditionals leave some)."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() or (lines and lines[-1].strip()):
            lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"
