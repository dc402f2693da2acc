"""The settings object refuses unsafe secrets."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from openteller.settings import DEFAULT_SECRET, Settings


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="non-default value in production"):
        Settings(environment="production")
    assert Settings(environment="development").secret_key.get_secret_value() == DEFAULT_SECRET


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(secret_key=SecretStr("x" * 31))
    strong = Settings(environment="production", secret_key=SecretStr("k" * 32))
    assert strong.environment == "production"


def test_database_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENTELLER_DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    settings = Settings()
    assert settings.database_url == "sqlite:////tmp/elsewhere.db"
    assert settings.with_database("sqlite:///x.db").database_url == "sqlite:///x.db"
    assert settings.with_database(None) is settings
