"""?format= on /v1/extract and on a job's results: the same bytes `trialx extract --format` writes."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

from extractor.outputs import writer_for
from service.formats import TABLE_WIDTH, Reformatter
from tests.service.pages import page
from tests.service.asgi import client
from tests.service.test_app import A, NDJSON, config, ndjson, wait_done


def written(fmt: str, lines: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = writer_for(fmt, out, width=TABLE_WIDTH)
    for line in lines:
        writer.write(line)
    writer.close()
    return out.getvalue()


def test_job_results_in_every_format_match_the_writers(tmp_path: Path) -> None:
    async def go() -> None:
        async with client(config(tmp_path)) as c:
            job = (await c.post("/v1/jobs", content=ndjson(5), headers={**A, **NDJSON})).json()["id"]
            await wait_done(c, job)
            plain = await c.get(f"/v1/jobs/{job}/results", headers=A)
            lines = [json.loads(x) for x in plain.text.splitlines()]
            assert [x["id"] for x in lines] == [f"d{i}" for i in range(5)]
            for fmt, media in (("csv", "text/csv"), ("ctgov", "application/json"), ("table", "text/plain")):
                r = await c.get(f"/v1/jobs/{job}/results?format={fmt}", headers=A)
                assert r.status_code == 200 and r.headers["content-type"].startswith(media)
                assert r.text == written(fmt, lines), fmt
            rows = list(csv.reader(io.StringIO((await c.get(f"/v1/jobs/{job}/results?format=csv&after=2",
                                                           headers=A)).text)))
            assert [row[0] for row in rows[1:]] == ["d2", "d3", "d4"]
            studies = (await c.get(f"/v1/jobs/{job}/results?format=ctgov", headers=A)).json()["studies"]
            assert len(studies) == 5
            bad = await c.get(f"/v1/jobs/{job}/results?format=xml", headers=A)
            assert bad.status_code == 422 and "format" in json.dumps(bad.json())
    asyncio.run(go())


def test_extract_with_a_format_returns_that_text(tmp_path: Path) -> None:
    async def go() -> None:
        async with client(config(tmp_path)) as c:
            line = (await c.post("/v1/extract", json={"id": "p1", "text": page(1)}, headers=A)).json()
            r = await c.post("/v1/extract?format=csv", json={"id": "p1", "text": page(1)}, headers=A)
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
            assert r.text == written("csv", [line])
            jl = await c.post("/v1/extract?format=jsonl", json={"id": "p1", "text": page(1)}, headers=A)
            assert jl.text.endswith("\n") and json.loads(jl.text)["record"] == line["record"]
            binary = await c.post("/v1/extract?format=csv", files={"file": ("x.txt", b"\x00\x01" * 50)}, headers=A)
            assert binary.status_code == 200 and "BINARY_INPUT" in binary.text  # an error row, not a 500
            evil = {"id": "p1", "text": page(1) + '\nConditions: =HYPERLINK("http://x.example","Asthma")\n'}
            plain = await c.post("/v1/extract?format=csv", json=evil, headers=A)
            assert any(cell.startswith("=HYPERLINK") for row in csv.reader(io.StringIO(plain.text)) for cell in row)
            guarded = await c.post("/v1/extract?format=csv&formula_guard=true", json=evil, headers=A)
            cells = [cell for row in csv.reader(io.StringIO(guarded.text)) for cell in row]
            assert "'=HYPERLINK(\"http://x.example\",\"Asthma\")" in cells and not any(c.startswith("=") for c in cells)
            bad = await c.post("/v1/extract?format=pdf", json={"text": page(1)}, headers=A)
            assert bad.status_code == 422 and "format" in json.dumps(bad.json())
    asyncio.run(go())


def test_reformatter_drains_as_it_goes() -> None:
    lines = [{"id": f"d{i}", "source": f"d{i}", "error": {"code": "EMPTY_INPUT", "message": "empty"}} for i in range(3)]
    r = Reformatter("csv")
    first = r.feed([json.dumps(lines[0])])
    assert first.startswith("id,") and first.count("\r\n") == 2  # header + one row, already out
    rest = r.feed(lines[1:]) + r.close()
    assert first + rest == written("csv", lines)
