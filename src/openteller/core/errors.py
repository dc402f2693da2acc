"""Domain errors of the banking core.

Every error carries a stable machine `code`, a human `message`, optional `details`
and the HTTP status an API should answer with::

    OpenTellerError
    ├── ValidationFailed (422)        bad input that no state could make valid
    │   ├── InvalidAmount             zero, negative, too many decimals, too large
    │   ├── InvalidIdempotencyKey     missing, malformed or longer than 40 characters
    │   ├── CurrencyMismatch          amount currency differs from the account's
    │   └── UnbalancedEntries         legs of a transfer do not sum to zero
    ├── Unauthorized (401)            missing, invalid or expired credentials
    ├── Forbidden (403)               authenticated, but the token lacks the scope
    ├── NotFound (404)                unknown id (also for another customer's id)
    ├── Conflict (409)                request clashes with the current state
    │   ├── IdempotencyConflict       same key, different request body
    │   ├── AccountClosed             account is closed or frozen
    │   ├── CardBlocked               card is blocked or replaced
    │   ├── InvalidState              e.g. capturing a voided hold, reversing twice
    │   └── AlreadyExists             unique business value taken (username, ...)
    └── InsufficientFunds (422)       debit would take the account below its floor
"""

from __future__ import annotations

from typing import Any, ClassVar


class OpenTellerError(Exception):
    """Base of every domain error."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        """The body of the one error envelope: ``{"code", "message", "details"}``."""
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationFailed(OpenTellerError):
    code = "validation_failed"
    http_status = 422


class InvalidAmount(ValidationFailed):
    code = "invalid_amount"


class InvalidIdempotencyKey(ValidationFailed):
    code = "invalid_idempotency_key"
    http_status = 400


class CurrencyMismatch(ValidationFailed):
    code = "currency_mismatch"


class UnbalancedEntries(ValidationFailed):
    code = "unbalanced_entries"


class Unauthorized(OpenTellerError):
    code = "unauthorized"
    http_status = 401


class Forbidden(OpenTellerError):
    """The caller is known but may not do this (a customer at a staff route, a role)."""

    code = "forbidden"
    http_status = 403


class InsufficientScope(Forbidden):
    """The token was not granted the consent scope this operation needs."""

    code = "insufficient_scope"


class NotFound(OpenTellerError):
    code = "not_found"
    http_status = 404


class Conflict(OpenTellerError):
    code = "conflict"
    http_status = 409


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


class AccountClosed(Conflict):
    code = "account_closed"


class CardBlocked(Conflict):
    code = "card_blocked"


class InvalidState(Conflict):
    code = "invalid_state"


class AlreadyExists(Conflict):
    code = "already_exists"


class InsufficientFunds(OpenTellerError):
    code = "insufficient_funds"
    http_status = 422


class PayloadTooLarge(OpenTellerError):
    code = "payload_too_large"
    http_status = 413


class RateLimited(OpenTellerError):
    """Too many requests in the window; `details["retry_after"]` says how many seconds."""

    code = "rate_limited"
    http_status = 429


class RateLimitUnavailable(OpenTellerError):
    """The shared rate-limit store did not answer, so a write was refused (fail closed)."""

    code = "rate_limit_unavailable"
    http_status = 503


class CoreUnavailable(OpenTellerError):
    """The core banking API did not answer, or answered something that is not the API's."""

    code = "core_unavailable"
    http_status = 502


def _all_subclasses(cls: type[OpenTellerError]) -> list[type[OpenTellerError]]:
    found: list[type[OpenTellerError]] = []
    sub: type[OpenTellerError]
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


_ERROR_CLASSES: list[type[OpenTellerError]] = [OpenTellerError, *_all_subclasses(OpenTellerError)]
ERRORS_BY_CODE: dict[str, type[OpenTellerError]] = {cls.code: cls for cls in _ERROR_CLASSES}
"""Code -> class, to rebuild a stored failure (a failed idempotency key stays failed)."""
