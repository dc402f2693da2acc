"""Request limits: body size (413) and per-caller rate limits (429), memory and Redis stores."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import ValidationError

from openteller.api import create_app
from openteller.api.limits import MemoryRateStore, RedisRateStore, rate_store_from_settings
from openteller.core import FixedClock, make_engine, upgrade
from openteller.core.demo.seeder import SeedOptions, seed_bank
from openteller.settings import Settings
from tests.api.conftest import SETTINGS, get, token_for
from tests.conftest import NOW

REDIS_URL = os.environ.get("OPENTELLER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass
class Bank:
    """A seeded bank and a way to put apps (one per simulated worker) in front of it."""

    url: str
    logins: list[dict[str, Any]]
    clock: FixedClock

    def settings(self, **overrides: Any) -> Settings:
        return Settings(database_url=self.url, **{**SETTINGS, **overrides})

    @contextmanager
    def client(self, **overrides: Any) -> Iterator[TestClient]:
        with TestClient(create_app(self.settings(**overrides), self.clock)) as client:
            yield client


@pytest.fixture
def seeded(tmp_path: Path) -> Bank:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    engine = make_engine(url)
    upgrade(engine)
    clock = FixedClock(NOW)  # 12:00:00 exactly: the start of a rate-limit window
    seeded = seed_bank(
        engine,
        Bank(url, [], clock).settings(),
        SeedOptions(2, 1, 11, as_of=date(2026, 11, 14)),
        clock=clock,
    )
    engine.dispose()
    return Bank(url, [login.__dict__ for login in seeded.logins], clock)


@pytest.fixture
def tokens(seeded: Bank) -> list[str]:
    """One token per customer, minted by an app without limits (logins cost nothing)."""
    with seeded.client(rate_limit_per_minute=0) as client:
        return [token_for(client, login) for login in seeded.logins]


def _payment(client: TestClient, token: str) -> tuple[str, dict[str, Any]]:
    """The customer's checking account and a valid payment body from it."""
    checking = next(
        a["id"]
        for a in get(client, "/v1/accounts", token).json()["accounts"]
        if a["type"] == "checking"
    )
    payee = get(client, "/v1/payees", token).json()["payees"][0]["id"]
    return checking, {"from_account_id": int(checking), "payee_id": int(payee), "amount": "1.00"}


def _transfers(client: TestClient) -> dict[str, int]:
    counts: dict[str, int] = client.get("/v1/bank").json()["transfers"]
    return counts


def _headers(token: str, key: str = "k-1") -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": key,
        "Content-Type": "application/json",
    }


def _limits(response: Any) -> tuple[str, str, str]:
    h = response.headers
    return h["RateLimit-Limit"], h["RateLimit-Remaining"], h["RateLimit-Reset"]


# Rate limits, in-process store


def test_fourth_request_in_a_minute_is_refused_until_the_window_ends(
    seeded: Bank, tokens: list[str]
) -> None:
    mine, theirs = tokens
    seeded.clock.advance(timedelta(seconds=15))  # 12:00:15, 45 s left in the window
    with seeded.client(rate_limit_per_minute=3) as client:
        answers = [get(client, "/v1/accounts", mine) for _ in range(3)]
        assert [r.status_code for r in answers] == [200, 200, 200]
        assert [_limits(r) for r in answers] == [
            ("3", "2", "45"),
            ("3", "1", "45"),
            ("3", "0", "45"),
        ]

        refused = get(client, "/v1/accounts", mine)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "45"
        assert _limits(refused) == ("3", "0", "45")
        assert refused.headers["X-Request-ID"]
        assert refused.json() == {
            "error": {
                "code": "rate_limited",
                "message": "more than 3 requests a minute; retry in 45 s",
                "details": {"limit": 3, "window_seconds": 60, "retry_after": 45},
            }
        }

        # Another customer has their own budget; probes and metrics are never counted.
        assert _limits(get(client, "/v1/accounts", theirs)) == ("3", "2", "45")
        assert client.get("/health").status_code == 200
        assert "RateLimit-Limit" not in client.get("/health").headers
        assert client.get("/metrics").status_code == 200

        seeded.clock.advance(timedelta(seconds=44, microseconds=500_000))  # 12:00:59.5
        late = get(client, "/v1/accounts", mine)
        assert (late.status_code, late.headers["Retry-After"]) == (429, "1")

        seeded.clock.advance(timedelta(milliseconds=500))  # 12:01:00, a new window
        again = get(client, "/v1/accounts", mine)
        assert again.status_code == 200
        assert _limits(again) == ("3", "2", "60")


def test_a_refused_payment_moves_nothing_and_a_new_token_buys_no_budget(
    seeded: Bank, tokens: list[str]
) -> None:
    with seeded.client(rate_limit_per_minute=0) as free:
        _, body = _payment(free, tokens[0])
        before = _transfers(free)
        fresh = token_for(free, seeded.logins[0])
    with seeded.client(rate_limit_per_minute=2) as client:
        assert get(client, "/v1/accounts", tokens[0]).status_code == 200
        assert get(client, "/v1/accounts", tokens[0]).status_code == 200
        # Same customer, another token: same subject, same budget.
        assert get(client, "/v1/accounts", fresh).status_code == 429
        paid = client.post("/v1/payments", json=body, headers=_headers(fresh))
        assert paid.status_code == 429
        assert paid.json()["error"]["code"] == "rate_limited"
    with seeded.client(rate_limit_per_minute=0) as free:
        assert _transfers(free) == before


def test_callers_without_a_valid_token_are_counted_by_address(
    seeded: Bank, tokens: list[str]
) -> None:
    sub = jwt.decode(tokens[0], options={"verify_signature": False})["sub"]
    forged = jwt.encode(
        {"iss": "openteller", "sub": sub, "iat": 0, "exp": 2**40}, "x" * 32, algorithm="HS256"
    )
    with seeded.client(rate_limit_per_minute=2) as client:
        assert client.get("/v1/products").status_code == 200
        assert get(client, "/v1/accounts", forged).status_code == 401
        refused = client.get("/v1/products")
        assert (refused.status_code, refused.headers["Retry-After"]) == (429, "60")
        # The forged token spent the address's budget, not the customer's it names.
        assert _limits(get(client, "/v1/accounts", tokens[0])) == ("2", "1", "60")


def test_a_zero_limit_turns_rate_limiting_off(seeded: Bank, tokens: list[str]) -> None:
    with seeded.client(rate_limit_per_minute=0) as client:
        answers = [client.get("/v1/products") for _ in range(5)]
        assert {r.status_code for r in answers} == {200}
        assert "RateLimit-Limit" not in answers[-1].headers
        assert not hasattr(client.app.state, "rate_store")  # type: ignore[attr-defined]


def test_memory_store_keeps_only_the_current_window() -> None:
    async def run() -> list[int]:
        store = MemoryRateStore()
        counts = [await store.hit("customer:1", 7) for _ in range(3)]
        counts.append(await store.hit("customer:2", 7))
        counts.append(await store.hit("customer:1", 8))
        await store.aclose()
        return counts

    assert asyncio.run(run()) == [1, 2, 3, 1, 1]


# Rate-limit store outages: reads pass, writes are refused


def test_an_unreachable_store_lets_reads_through_and_refuses_writes(
    seeded: Bank, tokens: list[str]
) -> None:
    with seeded.client(rate_limit_per_minute=0) as free:
        _, body = _payment(free, tokens[0])
        before = _transfers(free)
    # Port 1: connection refused at once.
    with seeded.client(
        rate_limit_per_minute=3, rate_limit_store_url="redis://127.0.0.1:1/0"
    ) as client:
        read = get(client, "/v1/accounts", tokens[0])
        assert read.status_code == 200
        assert "RateLimit-Limit" not in read.headers
        paid = client.post("/v1/payments", json=body, headers=_headers(tokens[0]))
        assert paid.status_code == 503
        assert paid.headers["Retry-After"] == "5"
        assert paid.headers["X-Request-ID"]
        assert paid.json()["error"]["code"] == "rate_limit_unavailable"
        login = seeded.logins[0]
        grant = {"grant_type": "password", "username": login["username"], "password": "x"}
        assert client.post("/v1/auth/token", data=grant).status_code == 503
    with seeded.client(rate_limit_per_minute=0) as free:
        assert _transfers(free) == before


# Body size


def _padded(body: dict[str, Any], size: int) -> bytes:
    """`body` as JSON of exactly `size` bytes (whitespace after the opening brace)."""
    raw = json.dumps(body).encode()
    return b"{" + b" " * (size - len(raw)) + raw[1:]


def test_oversized_bodies_are_refused_and_move_nothing(seeded: Bank, tokens: list[str]) -> None:
    with seeded.client(max_body_bytes=1024, rate_limit_per_minute=0) as client:
        checking, body = _payment(client, tokens[0])
        before = _transfers(client)
        balance = get(client, f"/v1/accounts/{checking}/balances", tokens[0]).json()["ledger"]

        declared = client.post(
            "/v1/payments", content=_padded(body, 1025), headers=_headers(tokens[0], "big")
        )
        assert declared.status_code == 413
        assert declared.headers["X-Request-ID"]
        assert declared.json() == {
            "error": {
                "code": "payload_too_large",
                "message": "request body exceeds 1024 bytes",
                "details": {"limit_bytes": 1024},
            }
        }

        def chunks() -> Iterator[bytes]:
            data = _padded(body, 1300)
            for start in range(0, len(data), 100):
                yield data[start : start + 100]

        streamed = client.post("/v1/payments", content=chunks(), headers=_headers(tokens[0], "s"))
        assert "content-length" not in streamed.request.headers
        assert streamed.request.headers["transfer-encoding"] == "chunked"
        assert streamed.status_code == 413
        assert streamed.json()["error"]["code"] == "payload_too_large"

        assert _transfers(client) == before
        after = get(client, f"/v1/accounts/{checking}/balances", tokens[0]).json()["ledger"]
        assert after == balance


def test_a_body_at_the_limit_is_processed(seeded: Bank, tokens: list[str]) -> None:
    with seeded.client(max_body_bytes=1024, rate_limit_per_minute=0) as client:
        _, body = _payment(client, tokens[0])
        exact = client.post(
            "/v1/payments", content=_padded(body, 1024), headers=_headers(tokens[0], "fits")
        )
        assert exact.status_code == 201, exact.text
        assert exact.json()["status"] == "posted"

        def chunks() -> Iterator[bytes]:
            data = _padded({**body, "amount": "2.00"}, 1000)
            yield data[:500]
            yield data[500:]

        streamed = client.post(
            "/v1/payments", content=chunks(), headers=_headers(tokens[0], "fits-chunked")
        )
        assert streamed.status_code == 201, streamed.text
        assert streamed.json()["amount"] == "2.00"


def test_limit_settings_are_validated() -> None:
    for bad in (
        {"max_body_bytes": 1023},
        {"rate_limit_per_minute": -1},
        {"rate_limit_store_url": "http://127.0.0.1:6379"},
    ):
        with pytest.raises(ValidationError):
            Settings(**{**SETTINGS, **bad})
    defaults = Settings(**SETTINGS)
    assert (defaults.max_body_bytes, defaults.rate_limit_per_minute) == (65_536, 600)
    assert isinstance(rate_store_from_settings(defaults), MemoryRateStore)


# Redis: one budget for every worker


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the real Redis; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); set OPENTELLER_TEST_REDIS_URL")
    prefix = f"openteller-test:{uuid.uuid4().hex}:"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def test_workers_share_one_budget_in_redis(
    seeded: Bank, tokens: list[str], redis_prefix: str
) -> None:
    mine, theirs = tokens
    seeded.clock.advance(timedelta(seconds=20))
    shared = {
        "rate_limit_per_minute": 3,
        "rate_limit_store_url": REDIS_URL,
        "rate_limit_key_prefix": redis_prefix,
    }
    assert isinstance(rate_store_from_settings(seeded.settings(**shared)), RedisRateStore)
    with seeded.client(**shared) as worker_1, seeded.client(**shared) as worker_2:
        assert _limits(get(worker_1, "/v1/accounts", mine)) == ("3", "2", "40")
        assert _limits(get(worker_2, "/v1/accounts", mine)) == ("3", "1", "40")
        assert _limits(get(worker_1, "/v1/accounts", mine)) == ("3", "0", "40")
        refused = get(worker_2, "/v1/accounts", mine)
        assert (refused.status_code, refused.headers["Retry-After"]) == (429, "40")
        assert refused.json()["error"]["code"] == "rate_limited"
        assert get(worker_1, "/v1/accounts", theirs).status_code == 200

        sub = jwt.decode(mine, options={"verify_signature": False})["sub"]
        window = int(seeded.clock.now().timestamp()) // 60
        direct = redis.Redis.from_url(REDIS_URL)
        try:
            key = f"{redis_prefix}{sub}:{window}"
            assert direct.get(key) == b"4"
            assert 0 < int(direct.ttl(key)) <= 120
        finally:
            direct.close()

        seeded.clock.advance(timedelta(seconds=40))
        assert _limits(get(worker_2, "/v1/accounts", mine)) == ("3", "2", "60")
