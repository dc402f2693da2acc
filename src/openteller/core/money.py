"""Money: `Decimal` at the edges, integer minor units in storage."""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation

from openteller.core.errors import InvalidAmount, ValidationFailed

# ISO 4217 minor-unit exponents for the currencies the core accepts.
CURRENCY_EXPONENTS: dict[str, int] = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CAD": 2,
    "CHF": 2,
    "AUD": 2,
    "MXN": 2,
    "JPY": 0,
    "KWD": 3,
}

# The largest single amount the core accepts, in major units: far above any real
# transfer, far below where a 64-bit minor-unit column could overflow when summed.
MAX_AMOUNT = Decimal("1000000000000")
_EXACT = Context(prec=120)


def exponent(currency: str) -> int:
    """Minor-unit exponent of `currency`; `ValidationFailed` for an unknown code."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise ValidationFailed(f"unsupported currency {currency!r}", currency=currency) from None


def parse_amount(value: Decimal | str | int) -> Decimal:
    """A Decimal from user input, refusing floats, NaN and infinities."""
    if isinstance(value, float | bool):
        raise InvalidAmount("amounts must be given as Decimal or string, not float")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidAmount(f"not a number: {value!r}") from None
    if not amount.is_finite():
        raise InvalidAmount(f"not a finite amount: {value!r}")
    return amount


def to_minor(amount: Decimal | str | int, currency: str, *, positive: bool = True) -> int:
    """Integer minor units of `amount`; refuses sub-minor precision and (default) amounts <= 0"""
    value = parse_amount(amount)
    exp = exponent(currency)
    if positive and value <= 0:
        raise InvalidAmount("amount must be greater than zero", amount=str(value))
    if abs(value) > MAX_AMOUNT:
        raise InvalidAmount("amount is too large", amount=str(value))
    # Exact arithmetic: the default 28-digit context would round away a stray digit.
    scaled = value.scaleb(exp, context=_EXACT)
    if scaled != scaled.to_integral_value(context=_EXACT):
        raise InvalidAmount(
            f"{currency} amounts have at most {exp} decimal places",
            amount=str(value),
            currency=currency,
        )
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    """Decimal major units for `minor`, with exactly the currency's number of decimals."""
    exp = exponent(currency)
    return (Decimal(minor).scaleb(-exp)).quantize(Decimal(1).scaleb(-exp))


def format_money(minor: int, currency: str) -> str:
    """Human form, e.g. ``USD 1,234.50``."""
    value = from_minor(minor, currency)
    return f"{currency} {value:,}"


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def display_money(amount: Decimal, currency: str = "USD") -> str:
    """What a customer reads: `$1,234.50`, a negative amount as `-$12.00`."""
    symbol = CURRENCY_SYMBOLS.get(currency)
    sign = "-" if amount < 0 else ""
    places = exponent(currency)
    body = f"{abs(amount):,.{places}f}"
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}"
