"""The prompt registry: every shipped template is consistent; strict rendering; versions; diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from openteller.llm import Message, PromptError, PromptRef, PromptRegistry, default_registry

SHIPPED = ["answer_from_documents", "rephrase", "summarize_conversation", "summarize_statement"]


def _write(root: Path, prompt_id: str, version: str, body: str, variables: str) -> Path:
    folder = root / prompt_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"v{version}.j2"
    path.write_text(
        f'---\nid: {prompt_id}\nversion: "{version}"\npurpose: test\nvariables:\n{variables}---\n'
        + body
    )
    return path


def test_shipped_prompts_load_and_declare_every_variable_they_use() -> None:
    # Loading parses every version and refuses a template that uses an undeclared variable.
    registry = PromptRegistry()
    assert registry.ids() == SHIPPED
    assert registry.versions("answer_from_documents") == ["1", "2"]
    for prompt_id in SHIPPED:
        for version in registry.versions(prompt_id):
            prompt = registry.get(prompt_id, version)
            assert (prompt.id, prompt.version) == (prompt_id, version)
            assert prompt.purpose
            assert all(prompt.variables.values()), f"{prompt.ref}: describe every variable"


def test_latest_version_is_the_default() -> None:
    registry = default_registry()
    assert registry.get("answer_from_documents").ref == PromptRef("answer_from_documents", "2")
    assert registry.get("answer_from_documents", "v1").version == "1"


def test_render_splits_roles_and_loops_over_passages() -> None:
    rendered = default_registry().render(
        "answer_from_documents",
        {
            "bank_name": "Demo Bank",
            "question": "What is the wire fee?",
            "not_found": "Not in our documents.",
            "passages": [
                {"n": 1, "title": "Fee schedule", "section": "Wires", "text": "Wire: $25.00."}
            ],
        },
    )
    assert str(rendered.ref) == "answer_from_documents@v2"
    assert [m.role for m in rendered.messages] == ["system", "user"]
    assert rendered.messages[0].content.startswith("You are the customer assistant of Demo Bank.")
    assert rendered.messages[0].content.endswith(
        "reply exactly: Not in our documents.\nBe brief: at most three sentences."
    )
    assert rendered.messages[1] == Message(
        "user",
        "Passages:\n[1] Fee schedule › Wires\nWire: $25.00.\n\nQuestion: What is the wire fee?",
    )


def test_missing_and_undeclared_variables_are_errors() -> None:
    prompt = default_registry().get("rephrase")
    with pytest.raises(PromptError, match=r"rephrase@v1 needs variable\(s\): history"):
        prompt.render(question="and my savings?")
    with pytest.raises(PromptError, match=r"does not declare variable\(s\): tone"):
        prompt.render(question="q", history=[], tone="friendly")


def test_attribute_missing_inside_a_variable_is_an_error() -> None:
    # StrictUndefined: a passage without `text` fails instead of rendering an empty string.
    with pytest.raises(PromptError, match="has no attribute 'text'"):
        default_registry().render(
            "answer_from_documents",
            {
                "bank_name": "B",
                "question": "q",
                "not_found": "nf",
                "passages": [{"n": 1, "title": "t", "section": "s"}],
            },
        )


def test_a_template_using_an_undeclared_variable_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "greet", "1", "Hello {{ name }} from {{ bank }}", "  name: who\n")
    with pytest.raises(PromptError, match=r"uses undeclared variable\(s\): bank"):
        PromptRegistry(tmp_path)


def test_front_matter_must_match_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "greet", "1", "Hello {{ name }}", "  name: who\n")
    path.rename(path.with_name("v2.j2"))
    with pytest.raises(PromptError, match="front matter version '1' != file"):
        PromptRegistry(tmp_path)
    (tmp_path / "greet" / "v2.j2").write_text("no front matter")
    with pytest.raises(PromptError, match="no front matter"):
        PromptRegistry(tmp_path)


def test_unknown_prompt_and_version() -> None:
    registry = default_registry()
    with pytest.raises(PromptError, match="unknown prompt 'nope'"):
        registry.get("nope")
    with pytest.raises(PromptError, match=r"has no version '9' \(versions: 1, 2\)"):
        registry.get("answer_from_documents", "9")


def test_a_template_without_role_lines_is_one_user_message(tmp_path: Path) -> None:
    _write(tmp_path, "greet", "1", "Hello {{ name }}\n", "  name: who\n")
    rendered = PromptRegistry(tmp_path).render("greet", {"name": "Ada"})
    assert rendered.messages == [Message("user", "Hello Ada")]


def test_diff_shows_the_changed_lines(tmp_path: Path) -> None:
    _write(tmp_path, "greet", "1", "Hello {{ name }}\n", "  name: who\n")
    _write(tmp_path, "greet", "2", "Good morning {{ name }}\n", "  name: who\n")
    assert PromptRegistry(tmp_path).diff("greet", "1", "2") == (
        "--- greet/v1.j2\n+++ greet/v2.j2\n@@ -1,8 +1,8 @@\n ---\n id: greet\n"
        '-version: "1"\n+version: "2"\n purpose: test\n variables:\n   name: who\n ---\n'
        "-Hello {{ name }}\n+Good morning {{ name }}\n"
    )
