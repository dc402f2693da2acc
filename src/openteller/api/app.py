"""App factory. At this stage: health, a bank overview, the catalog and the error envelope."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import escape
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from openteller import __version__
from openteller.api.context import RequestContext
from openteller.api.limits import install_limits
from openteller.api.metrics import HttpMetrics
from openteller.api.openapi import install_openapi
from openteller.api.routes import accounts as account_routes
from openteller.api.routes import alerts as alert_routes
from openteller.api.routes import auth as auth_routes
from openteller.api.routes import cards as card_routes
from openteller.api.routes import chat as chat_routes
from openteller.api.routes import compliance as compliance_routes
from openteller.api.routes import insights as insight_routes
from openteller.api.routes import loan_applications as loan_application_routes
from openteller.api.routes import loans as loan_routes
from openteller.api.routes import payees as payee_routes
from openteller.api.routes import payments as payment_routes
from openteller.api.routes import staff as staff_routes
from openteller.api.schemas import (
    RETRY_AFTER,
    BankOverview,
    ErrorEnvelope,
    Health,
    ProductList,
    errors,
)
from openteller.core import (
    Clock,
    OpenTellerError,
    SystemClock,
    engine_from_settings,
    head_revision,
    ledger_stats,
    read_catalog,
)
from openteller.core.schema import current_revision
from openteller.settings import Settings

logger = logging.getLogger("openteller.api")


def _envelope(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    # Details are JSON already by convention; a date or a Decimal slipped in is shown as
    # its string rather than turning a clear 4xx into a 500.
    plain = json.loads(json.dumps(details or {}, default=str))
    return JSONResponse(
        status_code=status,
        content={"error": {"code": code, "message": message, "details": plain}},
    )


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    """Build the app around one engine; no state lives in the process besides it."""
    engine = engine_from_settings(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Sync routes run on anyio's thread pool (40 threads by default).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        yield
        engine.dispose()

    app = FastAPI(title="OpenTeller", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.clock = clock or SystemClock()
    app.include_router(auth_routes.router)
    app.include_router(account_routes.router)
    app.include_router(loan_routes.router)
    app.include_router(card_routes.router)
    app.include_router(payee_routes.router)
    app.include_router(payment_routes.router)
    app.include_router(staff_routes.router)
    app.include_router(chat_routes.router)
    app.include_router(compliance_routes.router)
    app.include_router(loan_application_routes.router)
    app.include_router(alert_routes.router)
    app.include_router(insight_routes.router)
    install_openapi(app)

    install_limits(app, settings)  # before request_id: its responses get an X-Request-ID
    metrics = HttpMetrics()

    # Outermost of ours: the limits' answers and unexpected errors get an X-Request-ID.
    app.add_middleware(RequestContext, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        """Prometheus text format (all workers' totals in multiprocess mode)."""
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(OpenTellerError)
    async def _domain_error(_: Request, exc: OpenTellerError) -> JSONResponse:
        response = _envelope(exc.http_status, exc.code, exc.message, exc.details)
        if exc.http_status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="openteller"'
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Never a stack trace to the client; the server log keeps it.
        logger.exception("unhandled error", exc_info=exc)
        return _envelope(500, "internal_error", "internal server error")

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return _envelope(422, "validation_failed", "request is invalid", {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI raises a 400 for a body it cannot decode at all (JSON that is not UTF-8,
        # broken form encoding); a body that decodes but is not valid JSON is a 422.
        codes = {400: "malformed_body", 404: "not_found", 405: "method_not_allowed"}
        code = codes.get(exc.status_code, "http_error")
        response = _envelope(exc.status_code, code, str(exc.detail))
        # Keep the exception's headers: a 405 must say which methods are allowed (`Allow`).
        response.headers.update(exc.headers or {})
        return response

    @app.get(
        "/health",
        tags=["bank"],
        summary="Liveness and schema revision",
        responses={
            200: {"model": Health, "description": "The database answers and is migrated."},
            503: {
                "model": Health | ErrorEnvelope,
                "description": "Migrations are pending (a `Health` body), or the database "
                "is not reachable (an error envelope, code `unavailable`).",
            },
        },
    )
    def health() -> JSONResponse:
        """For load balancers: 200 when the database answers at the head revision. Not
        rate limited."""
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            revision = current_revision(engine)
        except SQLAlchemyError:
            return _envelope(503, "unavailable", "database is not reachable")
        ok = revision == head_revision()
        return JSONResponse(
            status_code=200 if ok else 503,
            content={
                "status": "ok" if ok else "migrations_pending",
                "version": __version__,
                "database": engine.dialect.name,
                "schema_revision": revision,
            },
        )

    @app.get(
        "/v1/bank",
        tags=["bank"],
        summary="Bank overview",
        response_model=BankOverview,
        responses=errors(429),
    )
    def bank() -> dict[str, Any]:
        """What the demo bank holds (counts and totals). Public."""
        return {"name": settings.bank_name, **ledger_stats(engine)}

    @app.get(
        "/v1/products",
        tags=["bank"],
        summary="Product catalog",
        response_model=ProductList,
        responses=errors(429),
    )
    def products() -> dict[str, Any]:
        """The product catalog: the only source of quotable rates, fees and limits. Public."""
        catalog = read_catalog(engine)
        return {
            "products": [
                {
                    "code": p.code,
                    "name": p.name,
                    "kind": p.kind.value,
                    "currency": p.currency,
                    "description": p.description,
                    "version": p.version,
                    "effective_date": p.effective_date.isoformat(),
                    "active": p.active,
                    "rates": [_plain(r.__dict__) for r in p.rates],
                    "fees": [_plain(f.__dict__) for f in p.fees],
                    "limits": [_plain(lim.__dict__) for lim in p.limits],
                }
                for p in catalog.products.values()
            ]
        }

    @app.get(
        "/",
        response_class=HTMLResponse,
        tags=["bank"],
        summary="Home page (HTML)",
        # Not `errors(429)`: FastAPI would file the envelope under text/html.
        responses={
            429: {
                "description": "Too many requests from this caller in the current minute.",
                "headers": {"Retry-After": RETRY_AFTER},
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}
                },
            }
        },
    )
    def home() -> str:
        """A human-readable summary of the bank with links to the JSON endpoints."""
        stats = ledger_stats(engine)
        rows = "".join(
            f"<tr><td>{escape(kind)}</td><td>{v['count']}</td><td>{escape(v['balance'])}</td></tr>"
            for kind, v in stats["accounts"].items()
        )
        return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(settings.bank_name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.4rem;
text-align:left}}</style></head><body>
<h1>{escape(settings.bank_name)}</h1>
<p>{stats["customers"]} customers, {stats["postings"]} postings,
{stats["transfers"].get("posted", 0)} posted transfers,
{stats["holds"].get("pending", 0)} pending card holds.</p>
<table><tr><th>account kind</th><th>accounts</th><th>sum of balances</th></tr>{rows}</table>
<p><a href="/v1/products">Product catalog</a> · <a href="/v1/bank">Bank statistics (JSON)</a>
· <a href="/health">Health</a> · <a href="/docs">API docs</a></p>
</body></html>"""

    return app


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (str(v) if v is not None and not isinstance(v, bool | int | str) else v)
        for k, v in values.items()
    }


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: settings from the environment."""
    return create_app(Settings())
