"""`openteller chat --user LOGIN`: talk to the assistant in the terminal, as a customer."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.markup import escape
from rich.panel import Panel

from openteller.cli.app import DbOption, app, err, out, settings_for
from openteller.core import SystemClock, Unauthorized, authenticate_customer, engine_from_settings
from openteller.core.security import password_hasher

QUIT = {"/quit", "/exit", "quit", "exit"}


@app.command()
def chat(
    user: Annotated[str, typer.Option("--user", help="The customer's login name.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            envvar="OPENTELLER_CHAT_PASSWORD",
            help="The customer's password (prompted when not given).",
        ),
    ],
    db: DbOption = None,
) -> None:
    """Chat with the assistant as a customer (type /quit or press Ctrl-D to leave)."""
    from openteller.analytics import DatabaseEventSink
    from openteller.assistant import (
        Assistant,
        answerer_from_settings,
        citation_labels,
        default_parser,
    )
    from openteller.credit import CreditService
    from openteller.guardrails import Guardrails
    from openteller.insights.service import InsightsService

    os.environ.setdefault("OMP_NUM_THREADS", "1")  # one short message at a time
    settings = settings_for(db)
    engine = engine_from_settings(settings)
    try:
        with engine.connect() as conn:
            customer_id = authenticate_customer(conn, password_hasher(settings), user, password)
        if customer_id is None:
            raise Unauthorized("incorrect username or password")
        with err.status("Loading the assistant…"):
            clock = SystemClock()
            answerer = answerer_from_settings(settings, engine, clock)
            guard = Guardrails.from_settings(settings, engine, clock)
            assistant = Assistant(
                engine,
                clock,
                settings,
                default_parser(),
                DatabaseEventSink(engine),
                answerer=answerer,
                guard=guard,
                credit=CreditService(engine, clock, settings),
                insights=InsightsService(
                    engine, clock, settings, provider=answerer.provider, guard=guard
                ),
            )
        out.print(f"Signed in as {user}. Type /quit to leave.", style="dim")
        session_id: str | None = None
        while True:
            try:
                message = out.input("[bold]you>[/] ")
            except EOFError:
                out.print()
                break
            if message.strip().lower() in QUIT:
                break
            result = assistant.reply(customer_id, message, session_id, channel="cli")
            session_id = result.session_id
            body = escape(result.reply)  # the reply is text, never Rich markup
            sources = citation_labels(result.citations)
            if sources:
                body += f"\n\n[dim]{escape(sources)}[/]"
            if result.suggestions:
                body += "\n\n[dim]Try: " + escape(" · ".join(result.suggestions)) + "[/]"
            out.print(Panel(body, title="assistant", title_align="left", border_style="cyan"))
    finally:
        engine.dispose()
