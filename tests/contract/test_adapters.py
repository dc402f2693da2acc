"""The two adapters side by side: same answers, one key space, the API's errors mapped."""

from __future__ import annotations

import socket
import typing
from decimal import Decimal

import httpx
import jwt
import pytest

from openteller.api import create_app
from openteller.core import (
    AccountKind,
    CardReason,
    CoreBanking,
    CoreUnavailable,
    Forbidden,
    HttpCoreBanking,
    InsufficientFunds,
    LocalCoreBanking,
    NotFound,
    PaymentOrder,
    RateLimited,
    TransactionQuery,
    Unauthorized,
    request_token,
)
from openteller.core.cards import BLOCK_REASONS
from tests.contract.conftest import ApiServer, SeededBank, local_opener


def _http(
    server: ApiServer, bank: SeededBank, who: int = 0, scopes: tuple[str, ...] = ()
) -> HttpCoreBanking:
    login = bank.logins[who]
    token = request_token(server.base_url, login.username, login.password, scopes=scopes)
    return HttpCoreBanking(server.base_url, token.access_token)


def test_both_adapters_are_the_port(bank: SeededBank, server: ApiServer) -> None:
    with _http(server, bank) as remote:
        assert isinstance(remote, CoreBanking)
        assert isinstance(local_opener(bank)(bank.logins[0]), CoreBanking)
        assert isinstance(LocalCoreBanking(bank.engine, bank.clock, 1, bank.settings), CoreBanking)


def test_both_adapters_give_equal_answers(bank: SeededBank, server: ApiServer) -> None:
    for who, login in enumerate(bank.logins):
        local = local_opener(bank)(login)
        with _http(server, bank, who) as remote:
            assert remote.customer_id == local.customer_id == login.customer_id
            accounts = local.list_accounts()
            assert remote.list_accounts() == accounts
            for account in accounts:
                assert remote.get_account(account.id) == account
                assert remote.balance(account.id) == local.balance(account.id)
                query = TransactionQuery(limit=4)
                page = local.transactions(account.id, query)
                assert remote.transactions(account.id, query) == page
                if page.next_cursor is not None:
                    after = TransactionQuery(limit=4, cursor=page.next_cursor)
                    assert remote.transactions(account.id, after) == local.transactions(
                        account.id, after
                    )
            assert remote.list_payees() == local.list_payees()
            assert remote.list_cards() == local.list_cards()
            assert remote.list_loans() == local.list_loans()
            assert remote.products() == local.products()
            assert remote.loan_quote(Decimal("7500.00"), 24) == local.loan_quote(
                Decimal("7500.00"), 24
            )


def test_a_key_used_in_process_replays_over_http(bank: SeededBank, server: ApiServer) -> None:
    local = local_opener(bank)(bank.logins[0])
    checking = next(a.id for a in local.list_accounts() if a.kind == AccountKind.CHECKING)
    order = PaymentOrder(checking, Decimal("42.00"), payee_id=local.list_payees()[0].id)
    paid = local.pay(order, "one-key-space")
    before = bank.ledger_balance(checking)
    with _http(server, bank) as remote:
        again = remote.pay(order, "one-key-space")
        assert (again.id, again.replayed, again.amount) == (paid.id, True, Decimal("42.00"))
        assert remote.get_payment(paid.id) == local.get_payment(paid.id)
    assert bank.ledger_balance(checking) == before


def test_the_tokens_consent_limits_the_http_adapter(bank: SeededBank, server: ApiServer) -> None:
    with _http(server, bank, scopes=("accounts:read",)) as remote:
        checking = next(a.id for a in remote.list_accounts() if a.kind == AccountKind.CHECKING)
        before = bank.ledger_balance(checking)
        order = PaymentOrder(checking, Decimal("1.00"), payee_id=remote.list_payees()[0].id)
        with pytest.raises(Forbidden) as refused:
            remote.pay(order, "not-allowed")
        assert refused.value.details == {"required": "payments:write"}
        with pytest.raises(Forbidden):
            remote.balance(checking)
    assert bank.ledger_balance(checking) == before


def test_a_wrong_password_is_unauthorized(bank: SeededBank, server: ApiServer) -> None:
    with pytest.raises(Unauthorized, match="incorrect username or password"):
        request_token(server.base_url, bank.logins[0].username, "not-the-password")
    with pytest.raises(Unauthorized):
        HttpCoreBanking(server.base_url, "not-a-token")


def test_a_forged_token_is_refused_by_the_server(bank: SeededBank, server: ApiServer) -> None:
    forged = jwt.encode({"sub": "customer:1", "iss": "openteller"}, "x" * 32, algorithm="HS256")
    with HttpCoreBanking(server.base_url, forged) as remote:
        assert remote.customer_id == 1  # read from the token; the server decides
        with pytest.raises(Unauthorized, match="invalid access token"):
            remote.list_accounts()


def test_a_server_that_is_gone_is_core_unavailable(bank: SeededBank, server: ApiServer) -> None:
    remote = _http(server, bank)
    server.stop()
    with pytest.raises(CoreUnavailable), remote:
        remote.list_accounts()


def test_nobody_listening_is_core_unavailable(bank: SeededBank, server: ApiServer) -> None:
    token = request_token(server.base_url, bank.logins[0].username, bank.logins[0].password)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed on exit: nothing listens there
    with (
        HttpCoreBanking(f"http://127.0.0.1:{port}", token.access_token) as remote,
        pytest.raises(CoreUnavailable),
    ):
        remote.list_accounts()


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (502, b"<html>Bad Gateway</html>", CoreUnavailable),  # a proxy, not the API
        (200, b'{"unexpected": []}', CoreUnavailable),  # not the API's shape
        (200, b"not json", CoreUnavailable),
        (
            500,
            b'{"error": {"code": "internal_error", "message": "x", "details": {}}}',
            CoreUnavailable,
        ),
        (404, b'{"error": {"code": "gone_elsewhere", "message": "no", "details": {}}}', NotFound),
        (
            422,
            b'{"error": {"code": "insufficient_funds", "message": "m", "details": {"a": 1}}}',
            InsufficientFunds,
        ),
    ],
)
def test_answers_are_mapped_to_the_cores_errors(
    status: int, body: bytes, expected: type[Exception]
) -> None:
    # A misbehaving proxy cannot be run here; a transport answering fixed bytes stands in.
    transport = httpx.MockTransport(lambda _: httpx.Response(status, content=body))
    token = jwt.encode({"sub": "customer:7"}, "k" * 32, algorithm="HS256")
    with httpx.Client(transport=transport) as client:
        remote = HttpCoreBanking("http://core.invalid", token, client=client)
        assert remote.customer_id == 7
        with pytest.raises(expected) as caught:
            remote.list_accounts()
    assert type(caught.value) is expected
    if expected is InsufficientFunds:
        assert (caught.value.message, caught.value.details) == ("m", {"a": 1})  # type: ignore[attr-defined]


def test_card_reasons_are_the_cards_module_reasons() -> None:
    assert set(typing.get_args(CardReason)) == BLOCK_REASONS


def test_a_rate_limited_answer_is_rate_limited_with_its_wait(bank: SeededBank) -> None:
    # The server's own limiter, at 3 requests a minute; the clock stands at 12:00:00.
    limited = ApiServer(
        create_app(bank.settings.model_copy(update={"rate_limit_per_minute": 3}), bank.clock)
    )
    limited.start()
    try:
        with _http(limited, bank) as remote:  # the token request counts for the address
            remote.list_accounts()
            remote.list_payees()
            remote.list_cards()
            with pytest.raises(RateLimited) as caught:
                remote.list_loans()
    finally:
        limited.stop()
    assert caught.value.details["retry_after"] == 60
    assert caught.value.message == "more than 3 requests a minute; retry in 60 s"
