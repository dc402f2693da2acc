"""`POST /v1/auth/token`: OAuth2 password grant for customers and staff.

A username with an "@" is a staff login (see `openteller.core.staff`); any other is a
customer's. Unknown names, wrong passwords and deactivated staff get the same 401.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form
from pydantic import Field

from openteller.api.auth import CUSTOMER_SCOPES, STAFF_SCOPE, Principal, issue_token
from openteller.api.deps import ClockDep, EngineDep, SettingsDep
from openteller.api.schemas import NO_NUL, Out, errors
from openteller.core import (
    Unauthorized,
    ValidationFailed,
    authenticate_customer,
    authenticate_staff,
    is_staff_username,
)
from openteller.core.security import password_hasher

router = APIRouter(prefix="/v1/auth", tags=["auth"])


class Token(Out):
    access_token: str = Field(description="A JWT; send it as `Authorization: Bearer ...`.")
    token_type: Literal["bearer"]
    expires_in: int = Field(ge=1, description="Seconds the token stays valid.", examples=[900])
    scope: str = Field(
        description="The granted scopes, space-separated.",
        examples=["accounts:read balances:read transactions:read"],
    )


@router.post(
    "/token",
    summary="Sign in (OAuth2 password grant)",
    response_model=Token,
    responses=errors(
        400,
        401,
        413,
        422,
        429,
        503,
        notes={
            401: "Wrong username or password (the same answer for an unknown username).",
            422: "A missing field, a grant type other than `password`, or an unknown scope.",
        },
    ),
)
def token(
    settings: SettingsDep,
    engine: EngineDep,
    clock: ClockDep,
    # Documented as the one value it may take; any other is refused below with a 422.
    grant_type: Annotated[str, Form(json_schema_extra={"enum": ["password"]})],
    username: Annotated[
        str,
        Form(
            max_length=64,
            pattern=NO_NUL,
            description="A customer's username, or a staff login (with `@`).",
        ),
    ],
    password: Annotated[str, Form(max_length=256, json_schema_extra={"format": "password"})],
    scope: Annotated[
        str,
        Form(
            description="Space-separated consent scopes to narrow a customer token to; "
            "empty for all of them.",
            examples=["accounts:read balances:read"],
        ),
    ] = "",
) -> dict[str, Any]:
    """Exchange a username and password for a short-lived bearer token.

    Customers may narrow the token to some of their consent scopes; staff get the
    `console` scope and their role."""
    if grant_type != "password":
        raise ValidationFailed("unsupported grant_type; use 'password'", grant_type=grant_type)
    staff = is_staff_username(username)
    allowed = {STAFF_SCOPE} if staff else set(CUSTOMER_SCOPES)
    requested = frozenset(scope.split()) or frozenset(allowed)
    unknown = requested - allowed
    if unknown:
        raise ValidationFailed("unknown scope", scopes=sorted(unknown))
    hasher = password_hasher(settings)
    principal: Principal | None = None
    with engine.connect() as conn:
        if staff:
            member = authenticate_staff(conn, hasher, username, password)
            if member is not None:
                principal = Principal("staff", member.id, requested, member.role)
        else:
            customer_id = authenticate_customer(conn, hasher, username, password)
            if customer_id is not None:
                principal = Principal("customer", customer_id, requested)
    if principal is None:
        raise Unauthorized("incorrect username or password")
    access_token, ttl = issue_token(settings, principal, clock.now())
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": ttl,
        "scope": " ".join(sorted(requested)),
    }
