"""The one settings object. Built once at the edge (CLI, app factory) and passed in."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-development-only-not-a-secret-key"
MIN_SECRET_LENGTH = 32  # bytes of HMAC-SHA256 key (RFC 7518 section 3.2)


class Settings(BaseSettings):
    """Runtime configuration, read from `OPENTELLER_*` environment variables.

    Every field is documented here; `openteller` never reads the environment elsewhere.
    """

    model_config = SettingsConfigDict(env_prefix="OPENTELLER_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development",
        description="Deployment environment; default secrets are refused outside development/test.",
    )
    database_url: str = Field(
        default="sqlite:///./var/openteller.db",
        description="SQLAlchemy URL of the system of record (SQLite file or PostgreSQL).",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(DEFAULT_SECRET),
        description="Key for signing tokens and keyed card-number fingerprints.",
    )
    token_ttl_seconds: int = Field(
        default=900, ge=60, le=86_400, description="Lifetime of an API access token (JWT)."
    )
    bank_name: str = Field(default="OpenTeller Demo Bank", description="Name shown to users.")
    base_currency: str = Field(default="USD", description="ISO 4217 currency of the demo bank.")
    timezone: str = Field(
        default="America/New_York", description="Bank's local timezone (cut-off times, statements)."
    )
    password_hash_memory_kib: int = Field(
        default=19_456,
        ge=8,
        description="Argon2id memory cost in KiB (OWASP minimum profile: 19 MiB, t=2, p=1).",
    )
    password_hash_time_cost: int = Field(default=2, ge=1, description="Argon2id iterations.")
    request_threads: int = Field(
        default=8,
        ge=1,
        le=256,
        description="Threads per worker for blocking route code (database calls). More "
        "threads than cores only queue behind the GIL and starve the event loop.",
    )
    max_body_bytes: int = Field(
        default=65_536, ge=1024, description="Largest request body the API accepts (413 above)."
    )
    rate_limit_per_minute: int = Field(
        default=600, ge=0, description="Requests a minute per token subject or address; 0: off."
    )
    rate_limit_store_url: str = Field(
        default="memory://",
        pattern=r"^(memory|redis|rediss|unix)://",
        description="Where request counts live: memory:// (one process) or a Redis URL (shared).",
    )
    rate_limit_key_prefix: str = Field(
        default="openteller:ratelimit:", description="Namespace of the rate-limit keys in Redis."
    )

    # ---- knowledge base (openteller.knowledge)
    kb_dir: Path | None = Field(
        default=None,
        description="Where the knowledge-base index lives; default: a `kb` folder beside "
        "the SQLite database file, else ./var/kb.",
    )
    # ---- language models (openteller.llm)
    llm_provider: Literal["extractive", "llama-cpp", "openai"] = Field(
        default="extractive",
        description="Who writes answers from documents: extractive (deterministic, no "
        "model), llama-cpp (a local GGUF file) or openai (any OpenAI-compatible server).",
    )
    llm_model: str = Field(
        default="",
        description="Model name (openai) or GGUF path (llama-cpp); empty: the provider's "
        "default (the bundled SmolLM2-135M-Instruct for llama-cpp).",
    )
    llm_base_url: str = Field(
        default="", description="Base URL of the OpenAI-compatible server (e.g. http://host/v1)."
    )
    llm_api_key: SecretStr = Field(
        default=SecretStr(""), description="API key for the OpenAI-compatible server."
    )
    llm_timeout_seconds: float = Field(default=30.0, gt=0, le=600, description="Per request.")
    llm_max_retries: int = Field(default=2, ge=0, le=10, description="Retries with backoff.")
    llm_max_tokens: int = Field(default=256, ge=1, le=8192, description="Tokens per answer.")
    llm_threads: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="CPU threads for the local llama.cpp model; default: half the cores.",
    )

    # ---- credit decisions (openteller.credit)
    credit_approve_max_pd: float = Field(
        default=0.22, gt=0, lt=1, description="Approve at or below this probability of default."
    )
    credit_refer_max_pd: float = Field(
        default=0.40,
        gt=0,
        lt=1,
        description="Refer to a credit officer up to this probability of default; decline above.",
    )

    @model_validator(mode="after")
    def _refuse_unsafe_secret(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.environment == "production" and secret == DEFAULT_SECRET:
            raise ValueError(
                "OPENTELLER_SECRET_KEY must be set to a non-default value in production"
            )
        if len(secret.encode()) < MIN_SECRET_LENGTH:
            raise ValueError(f"OPENTELLER_SECRET_KEY must be at least {MIN_SECRET_LENGTH} bytes")
        return self

    def with_database(self, url: str | None) -> Settings:
        """A copy that points at `url` (the CLI's `--db`), or self when url is None."""
        return self if url is None else self.model_copy(update={"database_url": url})

    def sqlite_path(self) -> Path | None:
        """The SQLite file this URL names, if any (used to create its directory)."""
        prefix = "sqlite:///"
        if not self.database_url.startswith(prefix):
            return None
        rest = self.database_url[len(prefix) :]
        return None if rest in ("", ":memory:") else Path(rest)
