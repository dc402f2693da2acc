"""Benchmark: the language-model providers on this machine.

Prints one JSON line: for llama-cpp with the bundled SmolLM2-135M-Instruct (Q4_1), the
model load time, first-token latency and generation speed (tokens/s) of a streamed
answer-from-documents call, averaged over `--runs`; for the extractive provider, the
p50/p95 latency of one cited answer over `--rounds` questions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import date

from openteller.llm import ExtractiveProvider, MemoryRecorder, Passage
from openteller.llm.llama import LlamaCppProvider, bundled_model_path

PASSAGES = [
    Passage(
        "fee-schedule",
        "Fee schedule",
        "Wire transfers",
        "| Service | Fee |\n|---|---|\n| Outgoing domestic wire | $25.00 |\n"
        "| Incoming domestic wire | $0.00 |\n| Outgoing international wire | $45.00 |\n",
    ),
    Passage(
        "transfer-limits",
        "Transfer and wire limits",
        "Cut-off times",
        "Wire requests received by 4:00 p.m. ET on a business day are sent the same day. "
        "Requests after the cut-off go out the next business day.",
    ),
    Passage(
        "overdraft-policy",
        "Overdraft policy",
        "Overdraft fees",
        "We charge an overdraft fee of $35.00 per item, up to 3 per day. No fee applies "
        "when the account is overdrawn by $5.00 or less.",
    ),
]
QUESTIONS = (
    "What is the fee for an outgoing domestic wire?",
    "How much is the overdraft fee?",
    "What is the wire fee and the cut-off time?",
    "Can I open an account in bitcoin?",
)


def _llama(runs: int, max_tokens: int, threads: int | None) -> dict[str, object]:
    path = bundled_model_path()
    started = time.perf_counter()
    provider = LlamaCppProvider(model_path=path, n_threads=threads, recorder=MemoryRecorder())
    provider.warm_up()
    load_s = time.perf_counter() - started
    first_ms, speeds, first_cpu_ms, cpu_speeds, outs = [], [], [], [], []
    for i in range(runs):
        _, messages = provider.answer_messages(QUESTIONS[i % len(QUESTIONS)], PASSAGES)
        started, started_cpu = time.perf_counter(), time.process_time()
        first = first_cpu = 0.0
        chunks = 0
        for _ in provider.stream(messages, max_tokens=max_tokens):
            chunks += 1
            if chunks == 1:
                first, first_cpu = time.perf_counter(), time.process_time()
        done, done_cpu = time.perf_counter(), time.process_time()
        first_ms.append((first - started) * 1000)
        first_cpu_ms.append((first_cpu - started_cpu) * 1000)
        # Tokens after the first, over the time after it: generation speed alone.
        speeds.append((chunks - 1) / (done - first) if chunks > 1 and done > first else 0.0)
        cpu_speeds.append(
            (chunks - 1) / (done_cpu - first_cpu) if chunks > 1 and done_cpu > first_cpu else 0.0
        )
        outs.append(chunks)
    assert isinstance(provider.recorder, MemoryRecorder)
    return {
        "model": path.name,
        "threads": provider.n_threads,
        "load_s": round(load_s, 2),
        "prompt_tokens": provider.recorder.calls[-1].tokens_in,
        "tokens_out_mean": round(statistics.mean(outs), 1),
        "first_token_ms_mean": round(statistics.mean(first_ms), 1),
        "tokens_per_s_mean": round(statistics.mean(speeds), 1),
        # The same per second of this process's CPU time: what an idle machine would give
        # (one thread), whatever else shares the cores.
        "first_token_cpu_ms_mean": round(statistics.mean(first_cpu_ms), 1),
        "tokens_per_cpu_s_mean": round(statistics.mean(cpu_speeds), 1),
    }


def _extractive(rounds: int) -> dict[str, object]:
    provider = ExtractiveProvider(recorder=MemoryRecorder())
    samples = []
    for _ in range(rounds):
        for question in QUESTIONS:
            started = time.perf_counter()
            provider.answer_from_documents(question, PASSAGES)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "answers": len(samples),
        "p50_ms": round(statistics.median(samples), 3),
        "p95_ms": round(samples[int(len(samples) * 0.95)], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="llama-cpp streamed answers")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="default: all cores")
    parser.add_argument("--rounds", type=int, default=250, help="extractive passes")
    args = parser.parse_args()
    print(
        json.dumps(
            {
                "benchmark": "llm",
                "date": date.today().isoformat(),
                "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                "llama_cpp": _llama(args.runs, args.max_tokens, args.threads),
                "extractive": _extractive(args.rounds),
            }
        )
    )


if __name__ == "__main__":
    main()
