"""`POST /v1/auth/token`: OAuth2 password grant for customers."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from argon2 import PasswordHasher
from fastapi import APIRouter, Form
from sqlalchemy import select

from openteller.api.auth import CUSTOMER_SCOPES, Principal, issue_token
from openteller.api.deps import ClockDep, EngineDep, SettingsDep
from openteller.core import Unauthorized, ValidationFailed
from openteller.core.models import Customer
from openteller.core.security import password_hasher, verify_password

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@cache
def _dummy_hash(memory_kib: int, time_cost: int) -> str:
    """A hash with the configured cost, made on first use (not at import): verifying an
    unknown username against it keeps both answers equally slow."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1).hash("x")


@router.post("/token")
def token(
    settings: SettingsDep,
    engine: EngineDep,
    clock: ClockDep,
    grant_type: Annotated[str, Form()],
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    scope: Annotated[str, Form()] = "",
) -> dict[str, Any]:
    """Exchange a customer's username and password for a short-lived bearer token."""
    if grant_type != "password":
        raise ValidationFailed("unsupported grant_type; use 'password'", grant_type=grant_type)
    requested = frozenset(scope.split()) or frozenset(CUSTOMER_SCOPES)
    unknown = requested - set(CUSTOMER_SCOPES)
    if unknown:
        raise ValidationFailed("unknown scope", scopes=sorted(unknown))
    with engine.connect() as conn:
        row = conn.execute(
            select(Customer.id, Customer.password_hash).where(Customer.username == username)
        ).first()
    hasher = password_hasher(settings)
    if row is None:
        dummy = _dummy_hash(settings.password_hash_memory_kib, settings.password_hash_time_cost)
        verify_password(hasher, dummy, password)
        raise Unauthorized("incorrect username or password")
    if not verify_password(hasher, row.password_hash, password):
        raise Unauthorized("incorrect username or password")
    principal = Principal("customer", int(row.id), requested)
    access_token, ttl = issue_token(settings, principal, clock.now())
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": ttl,
        "scope": " ".join(sorted(requested)),
    }
