"""The prompt registry: versioned Jinja2 templates with YAML front matter.

Layout: ``prompts/<id>/v<N>.j2``, every version kept so that `openteller prompts diff` has
something real to compare. Each file starts with front matter::

    ---
    id: answer_from_documents
    version: "2"
    purpose: Answer a customer's question from numbered passages, citing them.
    variables:
      question: the customer's question
    ---
    [system]
    You are ...
    [user]
    {{ question }}

A line ``[system]``, ``[user]`` or ``[assistant]`` starts a chat message; a template with
no such line is one user message. Rendering is strict: a missing variable is an error, so
is a variable the front matter does not declare (when loading and when rendering).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import yaml

from openteller.llm.errors import PromptError
from openteller.llm.types import Message, PromptRef, Role

_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_ROLE_LINE = re.compile(r"^\[(system|user|assistant)\]\s*$", re.MULTILINE)
_FILE = re.compile(r"^v(\d+)\.j2$")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class RenderedPrompt:
    ref: PromptRef
    text: str
    messages: list[Message]


@dataclass(frozen=True)
class Prompt:
    """One version of one prompt template."""

    id: str
    version: str
    purpose: str
    variables: dict[str, str]
    source: str  # the template body, front matter removed
    path: Path
    _template: jinja2.Template

    @property
    def ref(self) -> PromptRef:
        return PromptRef(self.id, self.version)

    def render(self, values: Mapping[str, Any] | None = None, /, **kwargs: Any) -> RenderedPrompt:
        """Render with every declared variable; unknown or missing ones are a PromptError."""
        given = {**(values or {}), **kwargs}
        unknown = sorted(set(given) - set(self.variables))
        if unknown:
            raise PromptError(
                f"prompt {self.ref} does not declare variable(s): {', '.join(unknown)}",
                declared=sorted(self.variables),
            )
        missing = sorted(set(self.variables) - set(given))
        if missing:
            raise PromptError(
                f"prompt {self.ref} needs variable(s): {', '.join(missing)}",
                declared=sorted(self.variables),
            )
        try:
            text = self._template.render(given)
        except jinja2.UndefinedError as exc:
            raise PromptError(f"prompt {self.ref}: {exc.message}") from exc
        except jinja2.TemplateError as exc:
            raise PromptError(f"prompt {self.ref} failed to render: {exc}") from exc
        return RenderedPrompt(self.ref, text, split_messages(text))


def split_messages(text: str) -> list[Message]:
    """Cut rendered text at ``[role]`` lines into chat messages (empty ones dropped)."""
    marks = list(_ROLE_LINE.finditer(text))
    if not marks:
        return [Message("user", text.strip())]
    messages: list[Message] = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        content = text[mark.end() : end].strip()
        role: Role = mark.group(1)  # type: ignore[assignment]
        if content:
            messages.append(Message(role, content))
    return messages


_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # prompts are plain text for a model, not HTML
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


def parse_prompt(text: str, path: Path) -> Prompt:
    """Parse one template file; raise PromptError on any inconsistency."""
    match = _FRONT.match(text)
    if match is None:
        raise PromptError(f"{path}: no front matter (a '---' block at the top)")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise PromptError(f"{path}: front matter is not YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise PromptError(f"{path}: front matter must be a mapping")
    for key in ("id", "version", "purpose", "variables"):
        if key not in meta:
            raise PromptError(f"{path}: front matter lacks '{key}'")
    variables = meta["variables"] or {}
    if isinstance(variables, list):
        variables = {str(v): "" for v in variables}
    if not isinstance(variables, dict):
        raise PromptError(f"{path}: 'variables' must map names to descriptions")
    body = text[match.end() :]
    try:
        ast = _ENV.parse(body)
        template = _ENV.from_string(body)
    except jinja2.TemplateSyntaxError as exc:
        raise PromptError(f"{path}:{exc.lineno}: template syntax error: {exc.message}") from exc
    used = jinja2.meta.find_undeclared_variables(ast)
    undeclared = sorted(used - set(variables))
    if undeclared:
        raise PromptError(f"{path}: template uses undeclared variable(s): {', '.join(undeclared)}")
    return Prompt(
        id=str(meta["id"]),
        version=str(meta["version"]),
        purpose=str(meta["purpose"]),
        variables={str(k): str(v or "") for k, v in variables.items()},
        source=body,
        path=path,
        _template=template,
    )


class PromptRegistry:
    """Every prompt and version under one directory (default: this package's prompts/)."""

    def __init__(self, directory: Path | None = None) -> None:
        if directory is None:
            directory = Path(str(resources.files("openteller.llm").joinpath("prompts")))
        if not directory.is_dir():
            raise PromptError(f"prompt directory {directory} does not exist")
        self.directory = directory
        self._prompts: dict[str, dict[str, Prompt]] = {}
        for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
            if folder.name.startswith(("_", ".")):
                continue
            if not _ID.match(folder.name):
                raise PromptError(f"{folder}: a prompt id is lower_snake_case")
            versions: dict[str, Prompt] = {}
            for file in sorted(folder.glob("*.j2")):
                named = _FILE.match(file.name)
                if named is None:
                    raise PromptError(f"{file}: template files are named v<N>.j2")
                prompt = parse_prompt(file.read_text("utf-8"), file)
                if prompt.id != folder.name:
                    raise PromptError(f"{file}: front matter id {prompt.id!r} != folder")
                if prompt.version != named.group(1):
                    raise PromptError(f"{file}: front matter version {prompt.version!r} != file")
                versions[prompt.version] = prompt
            if versions:
                self._prompts[folder.name] = dict(
                    sorted(versions.items(), key=lambda kv: int(kv[0]))
                )

    def ids(self) -> list[str]:
        return sorted(self._prompts)

    def versions(self, prompt_id: str) -> list[str]:
        return list(self._versions(prompt_id))

    def get(self, prompt_id: str, version: str | None = None) -> Prompt:
        """A prompt at `version` (default: the latest)."""
        versions = self._versions(prompt_id)
        if version is None:
            return versions[next(reversed(versions))]
        version = version.removeprefix("v")
        if version not in versions:
            raise PromptError(
                f"prompt {prompt_id!r} has no version {version!r} (versions: {', '.join(versions)})"
            )
        return versions[version]

    def render(
        self, prompt_id: str, values: Mapping[str, Any], version: str | None = None
    ) -> RenderedPrompt:
        return self.get(prompt_id, version).render(values)

    def diff(self, prompt_id: str, from_version: str, to_version: str) -> str:
        """Unified diff of two versions' files (front matter included)."""
        old, new = self.get(prompt_id, from_version), self.get(prompt_id, to_version)
        lines = difflib.unified_diff(
            old.path.read_text("utf-8").splitlines(keepends=True),
            new.path.read_text("utf-8").splitlines(keepends=True),
            fromfile=f"{prompt_id}/v{old.version}.j2",
            tofile=f"{prompt_id}/v{new.version}.j2",
        )
        return "".join(lines)

    def _versions(self, prompt_id: str) -> dict[str, Prompt]:
        try:
            return self._prompts[prompt_id]
        except KeyError:
            raise PromptError(
                f"unknown prompt {prompt_id!r} (known: {', '.join(self.ids())})"
            ) from None


@functools.cache
def default_registry() -> PromptRegistry:
    """The registry of prompts shipped in this package (loaded once)."""
    return PromptRegistry()
