"""Documents from files: Markdown (optionally a catalog template), HTML, PDF, plain text.

Every loader yields a `Document` whose text is Markdown-like: headings are ``#`` lines
(HTML ``<h1>``..``<h6>`` become them), so one chunker serves every format. Metadata comes
from front matter (Markdown, text), ``<meta>`` tags (HTML) or the PDF's info dictionary;
the file name is the fallback id and title.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from openteller.knowledge._catalog import CatalogSpec, render
from openteller.knowledge._errors import KnowledgeError

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
SUFFIXES |= {".pdf": "pdf", ".txt": "text"}
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_ID_RE = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Document:
    """One source document, rendered, with its metadata."""

    doc_id: str
    title: str
    version: str
    effective_date: str
    text: str
    source: str
    kind: str

    @property
    def digest(self) -> str:
        """Content hash: what incremental ingest compares."""
        h = hashlib.sha256()
        for part in (self.doc_id, self.title, self.version, self.effective_date, self.text):
            h.update(part.encode())
            h.update(b"\0")
        return h.hexdigest()


def corpus_dir() -> Path:
    """The packaged corpus of the demo bank."""
    return Path(str(resources.files("openteller.knowledge") / "corpus"))


def slug(name: str) -> str:
    return _ID_RE.sub("-", name.lower()).strip("-") or "document"


def _front_matter(raw: str, source: Path) -> tuple[dict[str, Any], str]:
    m = _FRONT_MATTER.match(raw)
    if m is None:
        return {}, raw
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"bad front matter in {source}: {exc}") from exc
    if not isinstance(meta, dict):
        raise KnowledgeError(f"bad front matter in {source}: not a mapping")
    return meta, raw[m.end() :]


def _first_heading(text: str) -> str | None:
    m = re.search(r"^#\s+(.+?)\s*$", text, re.MULTILINE)
    return m.group(1) if m else None


def _document(meta: dict[str, Any], text: str, path: Path, kind: str) -> Document:
    title = str(meta.get("title") or _first_heading(text) or path.stem.replace("-", " "))
    return Document(
        doc_id=slug(str(meta.get("id") or path.stem)),
        title=title,
        version=str(meta.get("version") or ""),
        effective_date=str(meta.get("effective_date") or ""),
        text=text.strip() + "\n",
        source=str(path),
        kind=kind,
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"cannot read {path}: {exc}") from exc


def _load_markdown(path: Path, spec: CatalogSpec, bank_name: str, kind: str) -> Document:
    raw = _read_text(path)
    meta, body = _front_matter(raw, path)
    if meta.get("template") is True:
        # The whole file is a template: front matter may quote the catalog's version too.
        meta, body = _front_matter(render(raw, spec, bank_name, source=str(path)), path)
    return _document(meta, body, path, kind)


class _HtmlToText(HTMLParser):
    """Headings to ``#`` lines, blocks to paragraphs, scripts and styles dropped."""

    _BLOCKS = frozenset({"p", "div", "li", "tr", "br", "table", "ul", "ol", "section"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.meta: dict[str, str] = {}
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            a = dict(attrs)
            if a.get("name") and a.get("content") is not None:
                self.meta[str(a["name"]).lower()] = str(a["content"])
        elif re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in self._BLOCKS:
            self.parts.append("\n\n" if tag != "li" else "\n- ")
        elif tag == "td":
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag == "li":
            pass  # the next item starts its own line
        elif re.fullmatch(r"h[1-6]", tag) or tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title += data
            return
        self.parts.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        joined = "".join(self.parts)
        lines = [line.strip() for line in joined.splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _load_html(path: Path) -> Document:
    parser = _HtmlToText()
    parser.feed(_read_text(path))
    parser.close()
    meta: dict[str, Any] = {
        "id": parser.meta.get("doc-id") or parser.meta.get("id"),
        "title": parser.title.strip() or None,
        "version": parser.meta.get("version"),
        "effective_date": parser.meta.get("effective-date") or parser.meta.get("effective_date"),
    }
    return _document(meta, parser.text(), path, "html")


def _load_pdf(path: Path) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except (OSError, PyPdfError, ValueError) as exc:
        raise KnowledgeError(f"cannot read PDF {path}: {exc}") from exc
    # Lines of a page are one paragraph; pages are separated by blank lines.
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    meta: dict[str, Any] = {"title": info.title if info is not None else None}
    if info is not None:
        for key in ("id", "version", "effective_date"):
            value = info.get(f"/{key}")
            meta[key] = str(value) if value is not None else None
    return _document(meta, text, path, "pdf")


def load_document(path: Path, spec: CatalogSpec, bank_name: str) -> Document:
    """Load one file by its suffix; `KnowledgeError` when unsupported or unreadable."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        supported = ", ".join(sorted(SUFFIXES))
        raise KnowledgeError(f"unsupported document type {path.name} (supported: {supported})")
    if kind == "html":
        return _load_html(path)
    if kind == "pdf":
        return _load_pdf(path)
    return _load_markdown(path, spec, bank_name, kind)


def find_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and supported files under folders named (sorted); missing is an error."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
            )
        elif path.is_file():
            yield path
        else:
            raise KnowledgeError(f"no such file or folder: {path}")


def load_documents(paths: Iterable[Path], spec: CatalogSpec, bank_name: str) -> list[Document]:
    """Every document under `paths`; two documents with one id is an error."""
    docs: dict[str, Document] = {}
    for file in find_files(paths):
        doc = load_document(file, spec, bank_name)
        if doc.doc_id in docs:
            raise KnowledgeError(
                f"two documents with id {doc.doc_id!r}: {docs[doc.doc_id].source} and {file}"
            )
        docs[doc.doc_id] = doc
    return list(docs.values())
