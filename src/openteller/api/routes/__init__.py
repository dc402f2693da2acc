"""One module per resource; routes parse, call the core, shape the response."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from openteller.api.deps import ClockDep, CurrentCustomer, EngineDep, SettingsDep
from openteller.core import LocalCoreBanking


async def _customer_core(
    principal: CurrentCustomer, engine: EngineDep, clock: ClockDep, settings: SettingsDep
) -> LocalCoreBanking:
    return LocalCoreBanking(engine, clock, principal.id, settings)


# The `CoreBanking` port for the signed-in customer: the routes and the assistant share it.
CustomerCore = Annotated[LocalCoreBanking, Depends(_customer_core)]
