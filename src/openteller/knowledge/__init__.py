"""The knowledge base: the bank's documents, chunked, indexed and searched with citations.

    kb = KnowledgeBase.open(settings)          # loads the index, or builds it once
    result = kb.search("what is the fee for an outgoing domestic wire?", k=5)
    result.abstain                             # True: say "I can't find that" + offer a person
    result.hits[0].doc_id, .section, .text     # cite document and section

`ingest(paths, index_dir)` keeps an index in step with a set of documents (Markdown, HTML,
PDF, plain text), re-encoding only what changed. The demo bank's corpus ships in
`corpus/`; its figures are rendered from the product catalog.
"""

from openteller.knowledge._catalog import LEGAL_FIGURES, unknown_figures
from openteller.knowledge._chunking import MAX_WORDS, OVERLAP_WORDS, chunk_text
from openteller.knowledge._documents import Document, corpus_dir, load_document, load_documents
from openteller.knowledge._errors import KnowledgeError
from openteller.knowledge._evaluate import (
    Question,
    calibrate_threshold,
    evaluate_retrieval,
    load_questions,
    questions_path,
)
from openteller.knowledge._index import Chunk, IngestReport, chunk_document, ingest
from openteller.knowledge._search import (
    ABSTAIN_MESSAGE,
    ABSTAIN_THRESHOLD,
    Hit,
    KnowledgeBase,
    SearchResult,
    index_dir_for,
)

__all__ = [
    "ABSTAIN_MESSAGE",
    "ABSTAIN_THRESHOLD",
    "LEGAL_FIGURES",
    "MAX_WORDS",
    "OVERLAP_WORDS",
    "Chunk",
    "Document",
    "Hit",
    "IngestReport",
    "KnowledgeBase",
    "KnowledgeError",
    "Question",
    "SearchResult",
    "calibrate_threshold",
    "chunk_document",
    "chunk_text",
    "corpus_dir",
    "evaluate_retrieval",
    "index_dir_for",
    "ingest",
    "load_document",
    "load_documents",
    "load_questions",
    "questions_path",
    "unknown_figures",
]
