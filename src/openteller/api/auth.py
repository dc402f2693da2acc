"""Bearer tokens: short-lived HS256 JWTs carrying the principal and its consent scopes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from openteller.core import Forbidden, InsufficientScope, StaffRole, Unauthorized
from openteller.settings import Settings

# Open Banking-style permissions a customer may consent to.
CUSTOMER_SCOPES = (
    "accounts:read",
    "balances:read",
    "transactions:read",
    "payments:write",
    "cards:write",
    "loans:write",
    "chat",
)
# A staff token carries one scope, the console, and the member's role.
STAFF_SCOPE = "console"
ALGORITHM = "HS256"
ISSUER = "openteller"


@dataclass(frozen=True)
class Principal:
    """Who is calling, and what they consented to."""

    kind: str  # "customer" or "staff"
    id: int
    scopes: frozenset[str]
    role: StaffRole | None = None  # staff only

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise InsufficientScope(f"this token lacks the {scope!r} scope", required=scope)

    def require_role(self, *roles: StaffRole) -> None:
        """Refuse staff whose role is not one of `roles` (403)."""
        if self.role not in roles:
            raise Forbidden(
                "your staff role may not use this endpoint",
                required_roles=sorted(r.value for r in roles),
            )


def issue_token(settings: Settings, principal: Principal, now: datetime) -> tuple[str, int]:
    """A signed token for `principal` and its lifetime in seconds."""
    ttl = settings.token_ttl_seconds
    claims = {
        "iss": ISSUER,
        "sub": f"{principal.kind}:{principal.id}",
        "scope": " ".join(sorted(principal.scopes)),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    if principal.role is not None:
        claims["role"] = principal.role.value
    token = jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=ALGORITHM)
    return token, ttl


def read_token(settings: Settings, token: str, now: datetime) -> Principal:
    """The principal of a valid token; `Unauthorized` for anything else."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"], "verify_exp": False},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid access token") from exc
    # Expiry against the injected clock, not the wall clock.
    if int(claims["exp"]) <= int(now.timestamp()):
        raise Unauthorized("access token has expired")
    kind, _, raw_id = str(claims["sub"]).partition(":")
    if kind not in ("customer", "staff") or not raw_id.isdecimal():
        raise Unauthorized("invalid access token")
    scopes = frozenset(str(claims.get("scope", "")).split())
    if kind == "customer":
        return Principal(kind, int(raw_id), scopes)
    try:
        role = StaffRole(str(claims.get("role", "")))
    except ValueError:
        raise Unauthorized("invalid access token") from None
    return Principal(kind, int(raw_id), scopes, role)
