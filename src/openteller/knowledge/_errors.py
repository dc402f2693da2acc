"""The knowledge base's one error: bad paths, unreadable documents, a corrupt index."""

from __future__ import annotations

from openteller.core import ValidationFailed


class KnowledgeError(ValidationFailed):
    """A document or index problem the caller can fix (the CLI prints it on one line)."""

    code = "knowledge_error"
