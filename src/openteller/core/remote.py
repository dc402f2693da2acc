"""`HttpCoreBanking`: the `CoreBanking` port over the REST API, for a process that has no
database of its own (an assistant deployed apart from the core, a bank's integration).

It returns the same dataclasses as `LocalCoreBanking` and turns the API's error envelope
`{"error": {"code", "message", "details"}}` back into the same `openteller.core.errors`
exception, so callers cannot tell the adapters apart. What the API cannot answer at all
(connection refused, a timeout, a body that is not the API's) is `CoreUnavailable`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import TracebackType
from typing import Any, TypeVar

import httpx
import jwt

from openteller.core.accounts import AccountView, PayeeView
from openteller.core.banking_types import (
    DEFAULT_LOAN_PRODUCT,
    CardInfo,
    CardReason,
    Installment,
    LoanQuote,
    LoanSummary,
    Payment,
    PaymentOrder,
    QuoteOffer,
)
from openteller.core.catalog import Fee, Limit, ProductInfo, Rate
from openteller.core.errors import (
    ERRORS_BY_CODE,
    Conflict,
    CoreUnavailable,
    Forbidden,
    NotFound,
    OpenTellerError,
    PayloadTooLarge,
    RateLimited,
    RateLimitUnavailable,
    Unauthorized,
    ValidationFailed,
)
from openteller.core.ledger_types import Balance
from openteller.core.models import (
    AccountKind,
    AccountStatus,
    CardStatus,
    LoanStatus,
    TransferStatus,
)
from openteller.core.money import parse_amount
from openteller.core.statements import TransactionItem, TransactionPage, TransactionQuery

DEFAULT_TIMEOUT = 10.0
_T = TypeVar("_T")


# An unknown error code still maps by its status (a newer server may add codes).
_BY_STATUS: dict[int, type[OpenTellerError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: ValidationFailed,
    429: RateLimited,
    503: RateLimitUnavailable,
}


@dataclass(frozen=True)
class AccessToken:
    """A bearer token from the password grant, its lifetime and its consented scopes."""

    access_token: str
    expires_in: int  # seconds
    scopes: frozenset[str]


def request_token(
    base_url: str,
    username: str,
    password: str,
    *,
    scopes: Iterable[str] = (),
    client: httpx.Client | None = None,
) -> AccessToken:
    """A customer's bearer token from the password grant (`POST /v1/auth/token`);
    no `scopes` asks for every scope the customer may consent to."""
    form = {
        "grant_type": "password",
        "username": username,
        "password": password,
        "scope": " ".join(scopes),
    }
    with _Session(client) as http:
        response = _send(http, "POST", base_url.rstrip("/") + "/v1/auth/token", data=form)
    body = _json(response)
    return _parsed(
        lambda: AccessToken(
            str(body["access_token"]), int(body["expires_in"]), frozenset(body["scope"].split())
        )
    )


class HttpCoreBanking:
    """`CoreBanking` for the customer a bearer token names, through the REST API.

    Pass `client` to reuse a connection pool or set transports and timeouts; otherwise
    the adapter owns one (`close()` it, or use the adapter as a context manager).
    """

    def __init__(self, base_url: str, token: str, *, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._customer_id = _customer_of(token)
        self._headers = {"Authorization": f"Bearer {token}"}
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=DEFAULT_TIMEOUT)

    @property
    def customer_id(self) -> int:
        return self._customer_id

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> HttpCoreBanking:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- accounts

    def list_accounts(self) -> list[AccountView]:
        body = self._call("GET", "/v1/accounts")
        return _parsed(lambda: [self._account(a) for a in body["accounts"]])

    def get_account(self, account_id: int) -> AccountView:
        body = self._call("GET", f"/v1/accounts/{int(account_id)}")
        return _parsed(lambda: self._account(body))

    def balance(self, account_id: int) -> Balance:
        b = self._call("GET", f"/v1/accounts/{int(account_id)}/balances")
        return _parsed(
            lambda: Balance(
                account_id=int(b["account_id"]),
                currency=b["currency"],
                ledger=Decimal(b["ledger"]),
                held=Decimal(b["held"]),
                available=Decimal(b["available"]),
                spendable=_decimal(b["spendable"]),
            )
        )

    def transactions(
        self, account_id: int, query: TransactionQuery | None = None
    ) -> TransactionPage:
        q = query or TransactionQuery()
        params = {
            "from": None if q.start is None else q.start.isoformat(),
            "to": None if q.end is None else q.end.isoformat(),
            "min_amount": None if q.min_amount is None else format(q.min_amount, "f"),
            "max_amount": None if q.max_amount is None else format(q.max_amount, "f"),
            "q": q.text,
            "category": q.category,
            "direction": q.direction,
            "limit": str(q.limit),
            "cursor": q.cursor,
        }
        body = self._call(
            "GET",
            f"/v1/accounts/{int(account_id)}/transactions",
            params={k: v for k, v in params.items() if v is not None},
        )
        return _parsed(
            lambda: TransactionPage(
                [_transaction(t) for t in body["transactions"]], body["next_cursor"]
            )
        )

    # ------------------------------------------------------------ payees, payments

    def list_payees(self) -> list[PayeeView]:
        body = self._call("GET", "/v1/payees")
        return _parsed(lambda: [_payee(p) for p in body["payees"]])

    def add_payee(
        self, *, name: str, bank_name: str, routing_number: str, account_number: str
    ) -> PayeeView:
        payload = {
            "name": name,
            "bank_name": bank_name,
            "routing_number": routing_number,
            "account_number": account_number,
        }
        body = self._call("POST", "/v1/payees", json=payload)
        return _parsed(lambda: _payee(body))

    def pay(self, order: PaymentOrder, idempotency_key: str) -> Payment:
        payload: dict[str, Any] = {
            "from_account_id": order.from_account_id,
            "amount": format(order.amount, "f"),
            "currency": order.currency,
            "description": order.description,
        }
        if order.to_account_id is not None:
            payload["to_account_id"] = order.to_account_id
        if order.payee_id is not None:
            payload["payee_id"] = order.payee_id
        response = self._send(
            "POST", "/v1/payments", json=payload, headers={"Idempotency-Key": idempotency_key}
        )
        body = _json(response)
        replayed = response.headers.get("Idempotency-Replayed") == "true"
        return _parsed(lambda: _payment(body, replayed))

    def get_payment(self, payment_id: int) -> Payment:
        body = self._call("GET", f"/v1/payments/{int(payment_id)}")
        return _parsed(lambda: _payment(body, False))

    # -------------------------------------------------------------------- cards

    def list_cards(self) -> list[CardInfo]:
        body = self._call("GET", "/v1/cards")
        return _parsed(lambda: [_card(c) for c in body["cards"]])

    def block_card(self, card_id: int, reason: CardReason) -> CardInfo:
        body = self._call("POST", f"/v1/cards/{int(card_id)}/block", json={"reason": reason})
        return _parsed(lambda: _card(body))

    def unblock_card(self, card_id: int) -> CardInfo:
        body = self._call("POST", f"/v1/cards/{int(card_id)}/unblock")
        return _parsed(lambda: _card(body))

    def replace_card(self, card_id: int, reason: CardReason) -> CardInfo:
        body = self._call("POST", f"/v1/cards/{int(card_id)}/replace", json={"reason": reason})
        return _parsed(lambda: _card(body))

    # ---------------------------------------------------------- catalog, loans

    def products(self) -> list[ProductInfo]:
        body = self._call("GET", "/v1/products")
        products = _parsed(lambda: [_product(p) for p in body["products"]])
        return [p for p in products if p.active]

    def loan_quote(
        self, amount: Decimal, term_months: int, product_code: str = DEFAULT_LOAN_PRODUCT
    ) -> LoanQuote:
        payload = {
            "amount": format(parse_amount(amount), "f"),
            "term_months": term_months,
            "product_code": product_code,
        }
        body = self._call("POST", "/v1/loans/quote", json=payload)
        return _parsed(lambda: _quote(body))

    def list_loans(self) -> list[LoanSummary]:
        body = self._call("GET", "/v1/loans")
        return _parsed(lambda: [_loan(x) for x in body["loans"]])

    # ---------------------------------------------------------------- plumbing

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        return _send(
            self._client,
            method,
            self.base_url + path,
            params=params,
            json=json,
            headers={**self._headers, **(headers or {})},
        )

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> Any:
        return _json(self._send(method, path, params=params, json=json))

    def _account(self, a: Any) -> AccountView:
        return AccountView(
            id=int(a["id"]),
            customer_id=self._customer_id,  # the API shows the caller's accounts only
            number_last4=str(a["number_masked"])[-4:],
            kind=AccountKind(a["type"]),
            product_code=a["product_code"],
            name=a["name"],
            currency=a["currency"],
            status=AccountStatus(a["status"]),
            opened_at=datetime.fromisoformat(a["opened_at"]),
        )


# ------------------------------------------------------------------ transport


class _Session:
    """A caller's client as it is, or a short-lived one of our own."""

    def __init__(self, client: httpx.Client | None) -> None:
        self._own = client is None
        self.client = client if client is not None else httpx.Client(timeout=DEFAULT_TIMEOUT)

    def __enter__(self) -> httpx.Client:
        return self.client

    def __exit__(self, *_: object) -> None:
        if self._own:
            self.client.close()


def _send(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request; a success response, or the API's error raised as the core's error."""
    try:
        response = client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise CoreUnavailable(f"the core banking API did not answer: {exc}") from exc
    if response.is_success:
        return response
    raise error_from_response(response)


def error_from_response(response: httpx.Response) -> OpenTellerError:
    """The core's exception for an error response in the API's envelope."""
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
        details = dict(error.get("details") or {})
    except (ValueError, KeyError, TypeError):
        return CoreUnavailable(
            f"the core banking API answered {response.status_code} without an error envelope",
            status=response.status_code,
        )
    cls = ERRORS_BY_CODE.get(code) or _BY_STATUS.get(response.status_code, OpenTellerError)
    if response.status_code >= 500 and cls is not RateLimitUnavailable:
        return CoreUnavailable(message, status=response.status_code, code=code)
    exc = cls(message)
    exc.details = details  # as sent: keys need not be valid keyword names
    retry_after = response.headers.get("retry-after", "")
    if retry_after.isdecimal():
        exc.details.setdefault("retry_after", int(retry_after))
    return exc


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise CoreUnavailable("the core banking API answered something that is not JSON") from exc


def _parsed(build: Callable[[], _T]) -> _T:
    """Build a result from a JSON body; a body that does not fit is `CoreUnavailable`."""
    try:
        return build()
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise CoreUnavailable(f"unexpected answer from the core banking API: {exc!r}") from exc


def _customer_of(token: str) -> int:
    """The customer a token names. The server checks the signature on every call; the
    client only reads whom it acts for (the `sub` claim, ``customer:<id>``)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid access token") from exc
    kind, _, raw_id = str(claims.get("sub", "")).partition(":")
    if kind != "customer" or not raw_id.isdecimal():
        raise Forbidden("CoreBanking acts for a customer; this token is not a customer's")
    return int(raw_id)


# -------------------------------------------------------------------- parsing


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _transaction(t: Any) -> TransactionItem:
    return TransactionItem(
        transfer_id=int(t["id"]),
        posting_id=int(t["posting_id"]),
        occurred_at=datetime.fromisoformat(t["occurred_at"]),
        booked_at=datetime.fromisoformat(t["booked_at"]),
        amount=Decimal(t["amount"]),
        balance_after=Decimal(t["balance_after"]),
        currency=t["currency"],
        kind=t["kind"],
        description=t["description"],
        merchant=t["merchant"],
        category=t["category"],
        channel=t["channel"],
        location=t["location"],
    )


def _payee(p: Any) -> PayeeView:
    return PayeeView(
        id=int(p["id"]),
        name=p["name"],
        bank_name=p["bank_name"],
        routing_number=p["routing_number"],
        account_last4=str(p["account_masked"])[-4:],
        created_at=datetime.fromisoformat(p["created_at"]),
    )


def _payment(p: Any, replayed: bool) -> Payment:
    return Payment(
        id=int(p["id"]),
        status=TransferStatus(p["status"]),
        from_account_id=int(p["from_account_id"]),
        amount=Decimal(p["amount"]),
        currency=p["currency"],
        description=p["description"],
        counterparty=p["counterparty"],
        created_at=datetime.fromisoformat(p["created_at"]),
        idempotency_key=p["idempotency_key"],
        replayed=replayed,
    )


def _card(c: Any) -> CardInfo:
    month, _, year = str(c["expiry"]).partition("/")
    return CardInfo(
        id=int(c["id"]),
        account_id=int(c["account_id"]),
        masked=c["masked_number"],
        last4=c["last4"],
        network=c["network"],
        kind=c["type"],
        expiry_month=int(month),
        expiry_year=int(year),
        status=CardStatus(c["status"]),
        status_reason=c["status_reason"],
        replaced_by_id=_int(c["replaced_by_id"]),
    )


def _product(p: Any) -> ProductInfo:
    return ProductInfo(
        code=p["code"],
        name=p["name"],
        kind=AccountKind(p["kind"]),
        currency=p["currency"],
        description=p["description"],
        version=p["version"],
        effective_date=date.fromisoformat(p["effective_date"]),
        active=bool(p["active"]),
        rates=tuple(
            Rate(
                r["code"],
                r["tier"],
                Decimal(r["percent"]),
                bool(r["variable"]),
                _decimal(r["min_balance"]),
                r["description"],
            )
            for r in p["rates"]
        ),
        fees=tuple(
            Fee(
                f["code"],
                _decimal(f["amount"]),
                _decimal(f["percent"]),
                f["description"],
                f["waiver"],
            )
            for f in p["fees"]
        ),
        limits=tuple(
            Limit(
                lim["code"],
                _decimal(lim["amount"]),
                _int(lim["count"]),
                lim["period"],
                lim["description"],
            )
            for lim in p["limits"]
        ),
    )


def _quote(q: Any) -> LoanQuote:
    return LoanQuote(
        product_code=q["product_code"],
        currency=q["currency"],
        amount=Decimal(q["amount"]),
        term_months=int(q["term_months"]),
        offers=tuple(
            QuoteOffer(
                tier=o["tier"],
                annual_rate=Decimal(o["annual_rate"]),
                apr=Decimal(o["apr"]),
                payment=Decimal(o["payment"]),
                number_of_payments=int(o["number_of_payments"]),
                origination_fee=Decimal(o["origination_fee"]),
                amount_financed=Decimal(o["amount_financed"]),
                finance_charge=Decimal(o["finance_charge"]),
                total_of_payments=Decimal(o["total_of_payments"]),
                first_payment_date=date.fromisoformat(o["first_payment_date"]),
            )
            for o in q["quotes"]
        ),
    )


def _loan(x: Any) -> LoanSummary:
    upcoming = x["next_payment"]
    return LoanSummary(
        id=int(x["id"]),
        account_id=int(x["account_id"]),
        product_code=x["product_code"],
        principal=Decimal(x["principal"]),
        currency=x["currency"],
        annual_rate=Decimal(x["annual_rate"]),
        apr=Decimal(x["apr"]),
        term_months=int(x["term_months"]),
        payment=Decimal(x["payment"]),
        status=LoanStatus(x["status"]),
        outstanding=Decimal(x["outstanding"]),
        next_payment=None
        if upcoming is None
        else Installment(
            int(upcoming["number"]),
            date.fromisoformat(upcoming["due_date"]),
            Decimal(upcoming["amount"]),
        ),
    )
