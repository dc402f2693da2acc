"""The call log: price estimates in integer micro-dollars, rows in llm_calls, failed calls."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from openteller.llm import (
    CallRecord,
    DatabaseRecorder,
    LLMConfigError,
    Price,
    PriceTable,
)

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def test_estimate_is_tokens_times_price_per_million_in_micro_dollars() -> None:
    table = PriceTable({"m": Price(Decimal("0.15"), Decimal("0.60"))})
    # 1,000 x 0.15 + 200 x 0.60 = 270 millionths of a dollar.
    assert table.estimate("m", 1000, 200) == 270
    # Half a micro-dollar rounds half up: 3 x 0.15 + 1 x 0.60 = 1.05 -> 1; 0.5 -> 1.
    assert table.estimate("m", 3, 1) == 1
    assert PriceTable({"h": Price(Decimal("0.5"), Decimal("0"))}).estimate("h", 1, 0) == 1


def test_unknown_model_costs_zero_and_says_so_once(caplog: pytest.LogCaptureFixture) -> None:
    table = PriceTable({})
    with caplog.at_level(logging.WARNING, logger="openteller.llm"):
        assert table.estimate("mystery-7b", 10_000, 10_000) == 0
        assert table.estimate("mystery-7b", 1, 1) == 0
    assert [r.getMessage() for r in caplog.records] == [
        "no price for model 'mystery-7b': its calls are logged at cost 0"
    ]


def test_shipped_price_table_is_decimal() -> None:
    table = PriceTable.from_yaml()
    assert table.prices["gpt-4o-mini"] == Price(Decimal("0.15"), Decimal("0.60"))
    assert table.estimate("SmolLM2-135M-Instruct.Q4_1.gguf", 500, 500) == 0
    assert table.known("extractive")


def test_bad_price_table_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("per_million_tokens:\n  m:\n    input: lots\n    output: '1'\n")
    with pytest.raises(LLMConfigError, match="price of 'm' needs decimal 'input' and 'output'"):
        PriceTable.from_yaml(path)
    with pytest.raises(LLMConfigError, match="cannot read price table"):
        PriceTable.from_yaml(tmp_path / "missing.yaml")


def test_database_recorder_writes_llm_calls(sqlite_engine: Engine) -> None:
    recorder = DatabaseRecorder(sqlite_engine)
    recorder.record(
        CallRecord(NOW, "sess-1", "openai", "gpt-4o-mini", "rephrase", "1", 120, 30, 850, 36, True)
    )
    recorder.record(
        CallRecord(NOW, None, "openai", "gpt-4o-mini", None, None, 0, 0, 12, 0, False, "x" * 500)
    )
    with sqlite_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT session_id, provider, model, prompt_id, prompt_version, tokens_in, "
                "tokens_out, latency_ms, cost_micro_usd, ok, length(error) FROM llm_calls "
                "ORDER BY id"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("sess-1", "openai", "gpt-4o-mini", "rephrase", "1", 120, 30, 850, 36, 1, None),
        (None, "openai", "gpt-4o-mini", None, None, 0, 0, 12, 0, 0, 200),
    ]
