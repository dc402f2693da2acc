"""Payees: exact names, parts, nicknames, typos, ambiguity, unknown names."""

from __future__ import annotations

import pytest

from openteller.assistant.entities import MatchStatus, match_payee
from openteller.core import PayeeView

from .conftest import PAYEES, payee

M = MatchStatus


@pytest.mark.parametrize(
    ("text", "name", "said"),
    [
        ("pay mom fifty bucks", "Mom", "mom"),
        ("Mom", "Mom", "Mom"),
        ("send my mother 20", "Mom", "mother"),
        ("send 20 to maria lopez", "Maria Lopez", "maria lopez"),
        ("send 20 to Lopez Maria", "Maria Lopez", "Lopez Maria"),
        ("pay lopez 40", "Maria Lopez", "lopez"),
        ("pay marai lopes", "Maria Lopez", "marai lopes"),
        ("pay maria chen's rent", "Maria Chen", "maria chen's"),
        ("pay bob 40", "Robert Smith", "bob"),
        ("pay bob smith 40", "Robert Smith", "bob smith"),
        ("pay robert", "Robert Smith", "robert"),
        ("pay the rent to parkview", "Parkview Apartments", "parkview"),
        ("pay comcast", "Comcast Xfinity", "comcast"),
        ("pay my xfinity bill", "Comcast Xfinity", "xfinity"),
        ("send will $30", "Will", "will"),
    ],
)
def test_matched(text: str, name: str, said: str) -> None:
    found = match_payee(text, PAYEES)
    assert found.status is M.MATCHED, found
    assert found.payee is not None
    assert (found.payee.name, found.text) == (name, said)
    assert found.span is not None
    assert text[found.span[0] : found.span[1]] == said


def test_pay_mom_with_mom_and_maria() -> None:
    found = match_payee("pay mom", [payee(1, "Mom"), payee(2, "Maria Lopez")])
    assert found.status is M.MATCHED
    assert found.payee is not None
    assert found.payee.name == "Mom"


def test_two_marias_are_ambiguous() -> None:
    found = match_payee("send $20 to maria", PAYEES)
    assert found.status is M.AMBIGUOUS
    assert found.payee is None
    assert sorted(c.payee.name for c in found.candidates) == ["Maria Chen", "Maria Lopez"]
    assert {c.text for c in found.candidates} == {"maria"}


def test_a_full_name_beats_a_name_inside_it() -> None:
    payees = [payee(1, "Maria"), payee(2, "Maria Lopez")]
    found = match_payee("pay maria lopez", payees)
    assert found.status is M.MATCHED
    assert found.payee is not None
    assert found.payee.name == "Maria Lopez"
    # "maria" alone fits both about as well: ask.
    assert match_payee("pay maria", payees).status is M.AMBIGUOUS


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("pay Jonathan 50", "Jonathan"),
        ("pay my landlord", "landlord"),
    ],
)
def test_unknown_payee_is_named(text: str, said: str) -> None:
    found = match_payee(text, PAYEES)
    assert (found.status, found.payee, found.text) == (M.NOT_FOUND, None, said)
    assert found.span is not None
    assert text[found.span[0] : found.span[1]] == said


def test_near_misses_are_suggested() -> None:
    found = match_payee("pay rupert", [payee(1, "Robert Smith"), payee(2, "Ann Lee")])
    assert (found.status, found.text) == (M.NOT_FOUND, "rupert")
    assert [c.payee.name for c in found.candidates] == ["Robert Smith"]


@pytest.mark.parametrize(
    ("text", "said", "near"),
    [
        ("send $50 to jonathan smith tomorrow", "jonathan smith", "Robert Smith"),
        ("pay maria gonzalez", "maria gonzalez", "Maria Lopez"),
    ],
)
def test_another_person_with_a_shared_name(text: str, said: str, near: str) -> None:
    payees = [payee(1, "Robert Smith"), payee(2, "Maria Lopez")]
    found = match_payee(text, payees)
    assert (found.status, found.text) == (M.NOT_FOUND, said)
    assert [c.payee.name for c in found.candidates] == [near]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("send my friend maria 20", "Maria Lopez"),
        ("pay the comcast internet bill", "Comcast Xfinity"),
        ("send maria money", "Maria Lopez"),
    ],
)
def test_common_nouns_next_to_a_name(text: str, name: str) -> None:
    payees = [payee(2, "Maria Lopez"), payee(6, "Comcast Xfinity")]
    found = match_payee(text, payees)
    assert found.payee is not None
    assert found.payee.name == name


@pytest.mark.parametrize(
    "text",
    [
        "what's my balance",
        "transfer 500 from savings to checking",
        "how much did I spend last month",
        "pay my credit card",
    ],
)
def test_no_payee_mentioned(text: str) -> None:
    assert match_payee(text, PAYEES).status is M.NOT_MENTIONED


@pytest.mark.parametrize("text", ["send it to tom", "pay dan 20", "pay to the order"])
def test_short_words_do_not_match_by_accident(text: str) -> None:
    payees = [payee(1, "Mom"), payee(2, "Dad")]
    assert match_payee(text, payees).status in (M.NOT_FOUND, M.NOT_MENTIONED)


def test_no_payees_at_all() -> None:
    empty: list[PayeeView] = []
    found = match_payee("pay mom 20", empty)
    assert (found.status, found.text) == (M.NOT_FOUND, "mom")
