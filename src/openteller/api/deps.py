"""Request dependencies: typed aliases make authentication visible in every route.

The ones that do no I/O are `async def`: FastAPI runs a plain `def` dependency on the
thread pool, a hop per dependency per request; these only read app state or check a
token's signature. Those that touch the database stay plain functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from openteller.api.auth import Principal, read_token
from openteller.core import Clock, Forbidden, NotFound, Unauthorized, get_staff
from openteller.settings import Settings


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


SettingsDep = Annotated[Settings, Depends(_settings)]
EngineDep = Annotated[Engine, Depends(_engine)]
ClockDep = Annotated[Clock, Depends(_clock)]


def _session(engine: EngineDep) -> Iterator[Connection]:
    """One connection in one transaction for the request: committed on success, rolled
    back when the route raises. A route that takes it does all its database work on it:
    on SQLite a second connection in the same request would wait for this one's lock."""
    with engine.begin() as conn:
        yield conn


SessionDep = Annotated[Connection, Depends(_session)]


async def _principal(request: Request, settings: SettingsDep, clock: ClockDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a bearer token is required")
    return read_token(settings, token.strip(), clock.now())


async def _customer(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
    if principal.kind != "customer":
        raise Forbidden("this endpoint is for customers; staff use the console endpoints")
    return principal


def _staff(principal: Annotated[Principal, Depends(_principal)], engine: EngineDep) -> Principal:
    if principal.kind != "staff":
        raise Forbidden("this endpoint is for bank staff")
    # Staff are few and powerful: a deactivated login stops working at once, not at expiry.
    try:
        with engine.connect() as conn:
            member = get_staff(conn, principal.id)
    except NotFound:
        raise Unauthorized("this staff login is no longer valid") from None
    if not member.active or member.role != principal.role:
        raise Unauthorized("this staff login is no longer valid")
    return principal


CurrentCustomer = Annotated[Principal, Depends(_customer)]
StaffUser = Annotated[Principal, Depends(_staff)]
