"""`openteller kb ingest|search|stats` and `openteller eval retrieval`: the knowledge base."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from openteller.cli.app import (
    DbOption,
    JsonOption,
    app,
    fail,
    out,
    print_json,
    progress_bar,
    settings_for,
)
from openteller.cli.nlu import eval_app

if TYPE_CHECKING:
    from openteller.knowledge import KnowledgeBase

# `openteller.knowledge` pulls in numpy, bm25s and (when encoding) torch: imported inside
# the commands so that other `openteller` commands start fast.

kb_app = typer.Typer(help="Knowledge base: the bank's documents, searched with citations.")
kb_app.info.no_args_is_help = True
app.add_typer(kb_app, name="kb")

IndexOption = Annotated[
    Path | None,
    typer.Option(
        "--index-dir",
        help="Index folder (default: OPENTELLER_KB_DIR, else `kb` beside the SQLite file).",
    ),
]


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A Rich progress bar on stderr, or nothing (JSON output, not a terminal)."""
    if not enabled:
        yield None
        return
    with progress_bar() as update:
        yield update


def _open(db: str | None, index_dir: Path | None, show_progress: bool) -> KnowledgeBase:
    from openteller.knowledge import KnowledgeBase, KnowledgeError

    try:
        with _progress(show_progress) as progress:
            return KnowledgeBase.open(settings_for(db), index_dir=index_dir, progress=progress)
    except KnowledgeError as exc:
        raise fail(exc.message) from None


@kb_app.command("ingest")
def kb_ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Files or folders (.md, .html, .pdf, .txt); default: the packaged corpus."
        ),
    ] = None,
    with_packaged: Annotated[
        bool, typer.Option("--with-packaged", help="Also keep the packaged corpus in the index.")
    ] = False,
    index_dir: IndexOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make the index hold exactly these documents; unchanged ones are not re-encoded."""
    missing = [str(p) for p in paths or [] if not p.exists()]
    if missing:
        raise fail(f"no such file or folder: {', '.join(missing)}")
    from openteller.knowledge import KnowledgeError, corpus_dir, index_dir_for, ingest

    settings = settings_for(db)
    sources = list(paths or [])
    if not sources or with_packaged:
        sources.insert(0, corpus_dir())
    folder = index_dir if index_dir is not None else index_dir_for(settings)
    try:
        with _progress(not as_json) as progress:
            report = ingest(sources, folder, progress, bank_name=settings.bank_name)
    except KnowledgeError as exc:
        raise fail(exc.message) from None
    if as_json:
        print_json(report.to_dict() | {"seconds": round(report.seconds, 3)})
        return
    out.print(
        f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.removed} removed: {report.chunks} chunks ({report.embedded} encoded) "
        f"in {report.seconds:.1f} s -> {report.index_dir}"
    )


@kb_app.command("search")
def kb_search(
    query: Annotated[str, typer.Argument(help="The question.")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Passages to return.")] = 5,
    index_dir: IndexOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Hybrid search (BM25 + embeddings); says when the documents do not answer it."""
    if not query.strip():
        raise fail("the query is empty")
    kb = _open(db, index_dir, not as_json)
    result = kb.search(query, k=k)
    if as_json:
        print_json(result.to_dict())
        return
    if result.abstain:
        out.print(f"[yellow]{result.message}[/] (confidence {result.confidence:.3f})")
    table = Table(title=f"Top {len(result.hits)} for {query!r}", title_justify="left")
    for column in ("#", "score", "document", "section", "text"):
        table.add_column(column, overflow="fold")
    for i, hit in enumerate(result.hits, start=1):
        snippet = " ".join(hit.text.split())
        table.add_row(
            str(i), f"{hit.score:.4f}", hit.doc_id, hit.section,
            snippet[:160] + ("…" if len(snippet) > 160 else ""),
        )  # fmt: skip
    out.print(table)


@kb_app.command("stats")
def kb_stats(
    index_dir: IndexOption = None, db: DbOption = None, as_json: JsonOption = False
) -> None:
    """Documents and chunks in the index."""
    stats = _open(db, index_dir, not as_json).stats()
    if as_json:
        print_json(stats)
        return
    out.print(
        f"{stats['documents']} documents, {stats['chunks']} chunks in {stats['index_dir']} "
        f"({stats['generation']}, built {stats['built_at']})"
    )
    table = Table(title="Documents", title_justify="left")
    for column in ("id", "title", "version", "chunks"):
        table.add_column(column)
    for doc_id, d in stats["by_document"].items():
        table.add_row(doc_id, d["title"], d["version"], str(d["chunks"]))
    out.print(table)


@eval_app.command("retrieval")
def eval_retrieval(
    questions: Annotated[
        Path | None,
        typer.Option(help="Question file (YAML; default: the packaged question set)."),
    ] = None,
    calibrate: Annotated[
        bool,
        typer.Option(help="Set the abstain threshold from the calibration split first."),
    ] = False,
    index_dir: IndexOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Recall@1/@5, MRR and abstention precision/recall of the knowledge base."""
    if questions is not None and not questions.is_file():
        raise fail(f"no such file: {questions}")
    from openteller.knowledge import KnowledgeError, evaluate_retrieval, load_questions

    try:
        items = load_questions(questions)
        kb = _open(db, index_dir, not as_json)
        report = evaluate_retrieval(kb, items, calibrate=calibrate)
    except KnowledgeError as exc:
        raise fail(exc.message) from None
    if as_json:
        print_json(report)
        return
    out.print(
        f"{report['questions']} questions ({report['answerable']} answerable): "
        f"recall@1 {report['recall_at_1']:.4f}, recall@5 {report['recall_at_5']:.4f}, "
        f"MRR {report['mrr']:.4f}; abstain precision {report['abstain_precision']:.4f}, "
        f"recall {report['abstain_recall']:.4f} at threshold {report['threshold']}"
    )
    for split, m in report["by_split"].items():
        out.print(
            f"  {split}: recall@5 {m['recall_at_5']:.4f}, MRR {m['mrr']:.4f}, abstain "
            f"precision {m['abstain_precision']:.4f}, recall {m['abstain_recall']:.4f}"
        )
