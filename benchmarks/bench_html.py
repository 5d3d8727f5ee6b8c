"""HTML speed and size: each real page rendered and read by the rules, and a 5 MB page.

`python -m benchmarks.bench_html [PAGES_DIR]` prints, for every *.html page in PAGES_DIR (default
../shared/realpages), its size and the best of three times for rendering plus the rules; then a
synthetic page of 5 MB (a long registry table, repeated) read through `read_source`: refused with
the size limit's message under the default limit, and rendered and read within time when the limit
is raised to take it. Nothing hangs: every step is timed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from extractor.inputs import DEFAULT_MAX_BYTES, Source, html_to_text, read_source
from extractor.rules import extract_rules

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "realpages"
ROW = "<tr><th>Outcome measure {i}</th><td>Change from baseline in score {i} <b>at week 12</b></td></tr>\n"


def _best(fn: object, n: int = 3) -> float:
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    return best


def big_page(target: int = 5_000_000) -> str:
    head = "<html><head><title>Big Study - Example Site</title></head><body><h1>Big Study Of Many Rows</h1><table>"
    rows, size, i = [], len(head), 0
    while size < target:
        row = ROW.format(i=i)
        rows.append(row)
        size += len(row)
        i += 1
    return head + "".join(rows) + "</table></body></html>"


def main(argv: list[str]) -> int:
    pages = Path(argv[0]) if argv else DEFAULT_DIR
    worst = 0.0
    for path in sorted(pages.glob("*.html")):
        html = path.read_text(encoding="utf-8", errors="replace")
        seconds = _best(lambda: extract_rules(html_to_text(html)))  # noqa: B023
        worst = max(worst, seconds)
        print(f"{path.name:45s} {len(html.encode()):>9,} B  render+rules {seconds * 1000:7.1f} ms")
    print(f"worst real page: {worst * 1000:.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.html"
        big.write_text(big_page(), encoding="utf-8")
        size = big.stat().st_size
        t0 = time.perf_counter()
        doc = read_source(Source("big", str(big)))
        print(f"5 MB page ({size:,} B), default limit {DEFAULT_MAX_BYTES:,}: "
              f"{'refused: ' + str(doc.error) if doc.error else 'read'} in {time.perf_counter() - t0:.3f} s")
        t0 = time.perf_counter()
        doc = read_source(Source("big", str(big)), max_bytes=size + 1)
        t1 = time.perf_counter()
        record = extract_rules(doc.text or "")
        t2 = time.perf_counter()
        print(f"5 MB page with --max-bytes {size + 1:,}: rendered {len(doc.text or ''):,} chars in {t1 - t0:.2f} s, "
              f"rules {t2 - t1:.2f} s, title {record.brief_title!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
