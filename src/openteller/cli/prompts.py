"""`openteller prompts`: list, show, render and diff the versioned prompt templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from openteller.cli.app import JsonOption, app, fail, out, print_json
from openteller.llm import PromptError, PromptRegistry, default_registry

prompts_app = typer.Typer(help="Versioned prompt templates (Jinja2).", no_args_is_help=True)
app.add_typer(prompts_app, name="prompts")

IdArg = Annotated[str, typer.Argument(help="Prompt id, e.g. answer_from_documents.")]
VersionOption = Annotated[
    str | None, typer.Option("--version", "-v", help="Version (default: the latest).")
]
DirOption = Annotated[
    Path | None,
    typer.Option("--dir", help="Prompt directory (default: the prompts shipped with OpenTeller)."),
]


def _registry(directory: Path | None) -> PromptRegistry:
    try:
        return default_registry() if directory is None else PromptRegistry(directory)
    except PromptError as exc:
        raise fail(exc.message) from None


@prompts_app.command("list")
def prompts_list(directory: DirOption = None, as_json: JsonOption = False) -> None:
    """Every prompt with its versions and purpose."""
    registry = _registry(directory)
    rows: list[dict[str, Any]] = []
    for prompt_id in registry.ids():
        latest = registry.get(prompt_id)
        rows.append(
            {
                "id": prompt_id,
                "versions": registry.versions(prompt_id),
                "latest": latest.version,
                "purpose": latest.purpose,
                "variables": sorted(latest.variables),
            }
        )
    if as_json:
        print_json(rows)
        return
    table = Table(title="Prompts", title_justify="left")
    for column in ("id", "versions", "purpose"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], ", ".join(f"v{v}" for v in row["versions"]), row["purpose"])
    out.print(table)


@prompts_app.command("show")
def prompts_show(
    prompt_id: IdArg,
    version: VersionOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """A prompt's front matter and template."""
    try:
        prompt = _registry(directory).get(prompt_id, version)
    except PromptError as exc:
        raise fail(exc.message) from None
    if as_json:
        print_json(
            {
                "id": prompt.id,
                "version": prompt.version,
                "purpose": prompt.purpose,
                "variables": prompt.variables,
                "template": prompt.source,
            }
        )
        return
    out.print(f"[bold]{prompt.id}[/] v{prompt.version}: {prompt.purpose}", highlight=False)
    for name, description in prompt.variables.items():
        out.print(f"  {name}: {description}", highlight=False)
    out.print()
    out.print(prompt.source, markup=False, highlight=False, soft_wrap=True, end="")


def _parse_vars(pairs: list[str], vars_file: Path | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if vars_file is not None:
        try:
            loaded = json.loads(vars_file.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise fail(f"cannot read --vars-file {vars_file}: {exc}") from None
        if not isinstance(loaded, dict):
            raise fail(f"--vars-file {vars_file} must hold a JSON object")
        values.update(loaded)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise fail(f"--var takes NAME=VALUE, got {pair!r}")
        values[name] = value
    return values


@prompts_app.command("render")
def prompts_render(
    prompt_id: IdArg,
    var: Annotated[
        list[str] | None, typer.Option("--var", help="NAME=VALUE (a string); repeat.")
    ] = None,
    vars_file: Annotated[
        Path | None,
        typer.Option("--vars-file", help="JSON object of variables (for lists, e.g. passages)."),
    ] = None,
    version: VersionOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Render a prompt with variables; a missing or undeclared variable is an error."""
    values = _parse_vars(var or [], vars_file)
    try:
        rendered = _registry(directory).get(prompt_id, version).render(values)
    except PromptError as exc:
        raise fail(exc.message) from None
    if as_json:
        print_json(
            {
                "id": rendered.ref.id,
                "version": rendered.ref.version,
                "messages": [{"role": m.role, "content": m.content} for m in rendered.messages],
            }
        )
        return
    out.print(rendered.text, markup=False, highlight=False, soft_wrap=True)


@prompts_app.command("diff")
def prompts_diff(
    prompt_id: IdArg,
    from_version: Annotated[str, typer.Option("--from", help="Older version.")],
    to_version: Annotated[str, typer.Option("--to", help="Newer version.")],
    directory: DirOption = None,
) -> None:
    """Unified diff between two versions of a prompt (its front matter included)."""
    try:
        diff = _registry(directory).diff(prompt_id, from_version, to_version)
    except PromptError as exc:
        raise fail(exc.message) from None
    if not diff:
        out.print(f"{prompt_id}: v{from_version} and v{to_version} are identical")
        return
    out.print(diff, markup=False, highlight=False, soft_wrap=True, end="")
