"""The output formats: the CT.gov round trip over real and gold records, and the writers' speed and memory.

1. Round trip: every record of ../shared/ctgov (imported) and every gold record (gold/**/records)
   is written by the `ctgov` writer as an API v2 page, read back by the importer that
   `trialx gold import-ctgov` uses, and compared field by field with the record it came from.
   Differences are listed by field with the values on each side.
2. Writers: N result lines (the real records, cycled) through each format into a null sink;
   lines per second over N lines, and the peak traced memory at M and at 5 x M lines (streaming: it
   must not grow with the number of lines).

Usage: python -m benchmarks.outputs [--lines N] [--traced M] [--show K]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from extractor.importers import load_ctgov_file  # noqa: E402
from extractor.importers.ctgov import import_ctgov_text  # noqa: E402
from extractor.links import link_arms_interventions  # noqa: E402
from extractor.outputs import FORMATS, writer_for  # noqa: E402
from extractor.schema import TrialRecord  # noqa: E402

SHARED_CTGOV = ROOT.parent / "shared" / "ctgov"


def records() -> list[tuple[str, TrialRecord]]:
    found: list[tuple[str, TrialRecord]] = []
    if SHARED_CTGOV.is_dir():
        for path in sorted(SHARED_CTGOV.iterdir()):
            if path.suffix in (".xml", ".json"):
                found += [(f"shared/ctgov/{path.name}", r) for r in load_ctgov_file(path)]
    for path in sorted(ROOT.glob("gold/**/records/*.json")):
        found.append((str(path.relative_to(ROOT)), TrialRecord.model_validate_json(path.read_text(encoding="utf-8"))))
    return found


def round_trip(found: list[tuple[str, TrialRecord]], show: int) -> dict[str, Any]:
    out = io.StringIO()
    writer = writer_for("ctgov", out)
    for name, record in found:
        writer.write({"id": name, "source": name, "backend": "gold", "record": record.model_dump(mode="json")})
    writer.close()
    back = import_ctgov_text(out.getvalue())
    assert len(back) == len(found)
    fields = list(TrialRecord.model_fields)
    by_field: Counter[str] = Counter()
    examples: list[str] = []
    one_way_links = 0
    for (name, record), again in zip(found, back):
        a, b = record.model_dump(mode="json"), again.model_dump(mode="json")
        linked = json.loads(json.dumps(a))
        link_arms_interventions(linked["arms"], linked["interventions"])
        one_way_links += linked != a
        for field in fields:
            if a[field] != b[field]:
                by_field[field] += 1
                if len(examples) < show:
                    examples.append(f"{name}: {field}: {json.dumps(a[field])[:160]} -> {json.dumps(b[field])[:160]}")
    return {"records": len(found), "from_shared": sum(n.startswith("shared/") for n, _ in found),
            "fields_compared": len(found) * len(fields), "differences": sum(by_field.values()),
            "differences_by_field": dict(by_field), "records_with_one_way_links": one_way_links, "examples": examples}


class _Null(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


def writers(found: list[tuple[str, TrialRecord]], n: int, m: int) -> dict[str, Any]:
    lines = [{"id": name, "source": name, "backend": "rules", "record": r.model_dump(mode="json"),
              "evidence": {}, "provenance": {}, "issues": [], "usage": {}} for name, r in found]
    results: dict[str, Any] = {}
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"trialx-outputs-bench-{os.getpid()}"
    for name in FORMATS:
        row: dict[str, Any] = {}

        def run(count: int) -> float:
            start = time.perf_counter()
            writer = writer_for(name, _Null(), width=120, companion_dir=tmp if name == "csv" else None)
            for i in range(count):
                writer.write(lines[i % len(lines)])
            writer.close()
            return time.perf_counter() - start

        row["lines_per_s"] = round(n / run(n))
        for count in (m, 5 * m):  # traced (slow): memory only
            tracemalloc.start()
            run(count)
            row[f"peak_mb_{count}_lines"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 2)
            tracemalloc.stop()
        results[name] = row
    for path in tmp.glob("*.csv"):
        path.unlink()
    if tmp.exists():
        tmp.rmdir()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=500, help="result lines per timed writer run")
    parser.add_argument("--traced", type=int, default=40, help="lines for the memory runs (and 5x that)")
    parser.add_argument("--show", type=int, default=40, help="differences to list")
    args = parser.parse_args()
    found = records()
    trip = round_trip(found, args.show)
    print(f"round trip: {trip['records']} records ({trip['from_shared']} from ../shared/ctgov), "
          f"{trip['fields_compared']} fields compared, {trip['differences']} differences "
          f"{trip['differences_by_field'] or ''}; records with one-way arm/intervention links: "
          f"{trip['records_with_one_way_links']}")
    for line in trip["examples"]:
        print("  " + line)
    for name, row in writers(found, args.lines, args.traced).items():
        print(f"{name:6s} " + "  ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
