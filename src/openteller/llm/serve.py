"""`python -m openteller.llm.serve --model PATH --host H --port P ...`: llama.cpp's
OpenAI-compatible server (`llama_cpp.server`, same arguments) with the model's weights in
plain CPU buffers (see `llama.plain_cpu_buffers`: the AMX path crashes on some CPUs).
"""

from __future__ import annotations

import runpy

from openteller.llm.llama import plain_cpu_buffers


def main() -> None:
    with plain_cpu_buffers():
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
