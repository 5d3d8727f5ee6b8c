"""Peak resident memory while streaming N documents through `extract_stream` (rules backend).

Runs as its own process (`python -m benchmarks.memprobe --n 10000`) so the figure holds only
this work: the corpus is generated lazily, results go to a JSON Lines temp file as they come,
and the peak is read at the end from /proc/self/status `VmHWM` (this process image's high-water
mark). Not `ru_maxrss`: Linux carries it across fork + exec, so a child of a big parent reports the
parent's size. `ru_maxrss` is the fallback where /proc is absent. The RSS
after imports and a one-document warm-up is reported too, so growth per document is visible.
Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def _rss_mb() -> float:
    try:
        import psutil

        return float(psutil.Process().memory_info().rss) / 2**20
    except ImportError:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> tuple[float, str]:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024, "/proc/self/status VmHWM in a fresh subprocess"
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "ru_maxrss in a fresh subprocess"


def main(n: int, use_shared: bool) -> dict[str, float | int | str]:
    from benchmarks.corpus import iter_pages
    from extractor.inputs import Document
    from extractor import Settings, extract_stream
    from extractor.result import DocumentError

    def docs() -> Iterator[Document]:
        for doc_id, text in iter_pages(n, use_shared=use_shared):
            yield Document(id=doc_id, source=f"{doc_id}.txt", text=text)

    settings = Settings(backend="rules", use_cache=False, concurrency=4)
    errors = 0

    async def run(out: Path, stream: Iterator[Document]) -> int:
        nonlocal errors
        count = 0
        with out.open("w", encoding="utf-8") as fh:
            async for result in extract_stream(stream, settings):
                errors += isinstance(result, DocumentError)
                fh.write(result.model_dump_json() + "\n")
                count += 1
        return count

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        asyncio.run(run(out, iter([Document(id="warm", source="warm.txt", text=next(iter_pages(1, use_shared))[1])])))
        errors = 0  # the warm-up document does not count
        baseline = _rss_mb()
        started = time.perf_counter()
        count = asyncio.run(run(out, docs()))
        seconds = time.perf_counter() - started
        size = out.stat().st_size
    peak, method = peak_rss_mb()
    return {
        "documents": count,
        "errors": errors,
        "peak_rss_mb": round(peak, 1),
        "baseline_rss_mb": round(baseline, 1),
        "seconds": round(seconds, 2),
        "docs_per_s": round(count / seconds, 1) if seconds else 0.0,
        "output_mb": round(size / 2**20, 1),
        "method": method,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--no-shared", action="store_true", help="use the bundled template, not ../shared")
    args = parser.parse_args()
    json.dump(main(args.n, not args.no_shared), sys.stdout)
    sys.stdout.write("\n")
