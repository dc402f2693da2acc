"""The call log: every provider call becomes one `CallRecord`, in memory or in `llm_calls`.

Cost is estimated from a price table (US dollars per million tokens, as `Decimal`) and
stored as integer millionths of a dollar: tokens x price-per-million is exactly that.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, cast

import yaml
from sqlalchemy import Engine, Table, insert

from openteller.core import LLMCall
from openteller.llm.errors import LLMConfigError

log = logging.getLogger("openteller.llm")

llm_calls_t = cast(Table, LLMCall.__table__)
ERROR_LENGTH = 200  # the column's width


@dataclass(frozen=True)
class CallRecord:
    """One provider call, as the log keeps it."""

    occurred_at: datetime
    session_id: str | None
    provider: str
    model: str
    prompt_id: str | None
    prompt_version: str | None
    tokens_in: int
    tokens_out: int
    latency_ms: int
    cost_micro_usd: int
    ok: bool
    error: str | None = None


class CallRecorder(Protocol):
    """Where call records go."""

    def record(self, call: CallRecord) -> None: ...


class MemoryRecorder:
    """Keeps records in a list (tests, benchmarks, the CLI)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[CallRecord] = []

    def record(self, call: CallRecord) -> None:
        with self._lock:
            self.calls.append(call)


class DatabaseRecorder:
    """Writes one row in `llm_calls` per call."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, call: CallRecord) -> None:
        row: dict[str, Any] = asdict(call)
        if row["error"] is not None:
            row["error"] = row["error"][:ERROR_LENGTH]
        with self._engine.begin() as conn:
            conn.execute(insert(llm_calls_t).values(**row))


@dataclass(frozen=True)
class Price:
    """US dollars per million input and output tokens."""

    input: Decimal
    output: Decimal


class PriceTable:
    """Prices by model; `estimate` answers integer micro-dollars (0 for an unknown model)."""

    def __init__(self, prices: dict[str, Price]) -> None:
        self.prices = dict(prices)
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_yaml(cls, path: Path | None = None) -> PriceTable:
        """Read a price table; default: the one shipped in this package (prices.yaml)."""
        if path is None:
            text = resources.files("openteller.llm").joinpath("prices.yaml").read_text("utf-8")
        else:
            try:
                text = path.read_text("utf-8")
            except OSError as exc:
                raise LLMConfigError(f"cannot read price table {path}: {exc}") from exc
        data = yaml.safe_load(text) or {}
        table = data.get("per_million_tokens") if isinstance(data, dict) else None
        if not isinstance(table, dict):
            raise LLMConfigError("price table needs a 'per_million_tokens' mapping")
        prices: dict[str, Price] = {}
        for model, entry in table.items():
            try:
                prices[str(model)] = Price(
                    Decimal(str(entry["input"])), Decimal(str(entry["output"]))
                )
            except (KeyError, TypeError, InvalidOperation) as exc:
                raise LLMConfigError(
                    f"price of {model!r} needs decimal 'input' and 'output' prices"
                ) from exc
        return cls(prices)

    def known(self, model: str) -> bool:
        return model in self.prices

    def estimate(self, model: str, tokens_in: int, tokens_out: int) -> int:
        """Cost in millionths of a dollar: tokens x (dollars per million tokens)."""
        price = self.prices.get(model)
        if price is None:
            with self._lock:
                if model not in self._warned:
                    self._warned.add(model)
                    log.warning("no price for model %r: its calls are logged at cost 0", model)
            return 0
        cost = tokens_in * price.input + tokens_out * price.output
        return int(cost.quantize(Decimal(1), rounding=ROUND_HALF_UP))
