"""The review page on a long page: `python -m benchmarks.bench_review [--kb 500] [--no-append]`.

A ~500 KB registry page (seed and gold pages joined, so every section repeats) is extracted with
the rules, saved as a run and opened in the review page:
1. server: the document page rendered (state + HTML) and the full GET through the app (ASGI);
2. browser (when the OS's Chromium is installed): the page opened in headless Chromium, time to
   DOMContentLoaded and to load, and a click on a field to its highlighted span.
Figures are printed and appended to benchmarks/RESULTS.md (--no-append to skip).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from extractor import Document, Settings, extract_documents

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "seeds"
CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def long_page(kb: int) -> str:
    parts = [p.read_text(encoding="utf-8") for p in sorted(SHARED.glob("*.txt"))] if SHARED.is_dir() else []
    parts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "gold" / "sources").glob("*.txt"))]
    text, i = "", 0
    while len(text.encode("utf-8")) < kb * 1000:
        text += parts[i % len(parts)] + "\n\n"
        i += 1
    return text


def make_run(run_dir: Path, text: str) -> tuple[float, int]:
    src = run_dir / "long.txt"
    run_dir.mkdir(parents=True)
    src.write_text(text, encoding="utf-8")
    t0 = time.perf_counter()
    line = extract_documents([Document("long", str(src), text)], Settings(backend="rules"))[0].model_dump(mode="json")
    took = time.perf_counter() - t0
    (run_dir / "predictions.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    return took, len(line.get("evidence") or {})


def server_figures(home: Path, run_dir: Path, repeat: int = 5) -> dict[str, Any]:
    from review import RunCatalog, current_state
    from review.pages import document_page
    from review.sources import JobSummary
    from service import ServiceConfig, create_app

    catalog = RunCatalog(run_dir)
    renders, sizes = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        view = catalog.document(catalog.id, "long")
        assert view is not None
        html = document_page(current_state(view, []), JobSummary(catalog.id, "bench", 1), "bench", prev_doc=None,
                             next_doc=None)
        renders.append(time.perf_counter() - t0)
        sizes = len(html.encode("utf-8"))
    app = create_app(ServiceConfig(home=home, tokens="bench=bench-token", review_runs=(run_dir,)))
    gets: list[float] = []

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as c:
            for _ in range(repeat):
                t0 = time.perf_counter()
                r = await c.get(f"/review/jobs/{catalog.id}/long", headers={"Authorization": "Bearer bench-token"})
                assert r.status_code == 200
                gets.append(time.perf_counter() - t0)

    asyncio.run(go())
    return {"render_ms": 1000 * statistics.median(renders), "get_ms": 1000 * statistics.median(gets[1:]),
            "cold_get_ms": 1000 * gets[0],
            "html_kb": sizes / 1000, "job": catalog.id}


def browser_figures(home: Path, run_dir: Path, job: str) -> dict[str, Any] | None:
    if not (CHROMIUM.exists() and DRIVER.exists()):
        return None
    import uvicorn
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    from service import ServiceConfig, create_app
    from tests.service.test_serve import free_port

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(ServiceConfig(home=home, tokens="bench=bench-token",
                                                                 review_runs=(run_dir,))),
                                        host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{url}/healthz", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.02)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(arg)
    d = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    try:
        d.get(f"{url}/review/login")
        d.find_element(By.NAME, "token").send_keys("bench-token\n")
        loads, dcl, first, last, interactive = [], [], [], [], []
        for _ in range(3):
            d.get(f"{url}/review/jobs/{job}/long")
            timing = d.execute_script("const t = performance.getEntriesByType('navigation')[0];"
                                      "return [t.domContentLoadedEventEnd, t.loadEventEnd, t.responseStart,"
                                      " t.responseEnd, t.domInteractive];")
            first.append(timing[2])
            last.append(timing[3])
            interactive.append(timing[4])
            dcl.append(timing[0])
            loads.append(timing[1])
        # the value furthest down the page, in a folded list: click its highlight, wait for its field
        click_ms = d.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const marks = document.querySelectorAll('#page-text mark');
            const mark = marks[marks.length - 1], path = mark.dataset.path;
            const t0 = performance.now();
            mark.scrollIntoView();
            mark.click();
            (function poll() {
              const f = document.querySelector('#record .field.current');
              if (f && f.dataset.path === path) { f.getBoundingClientRect(); done(performance.now() - t0); }
              else setTimeout(poll, 5);
            })();""")
        fields = d.find_elements(By.CSS_SELECTOR, "#record .field:not(.empty)")
        return {"cold_load_ms": loads[0], "cold_first_byte_ms": first[0], "first_byte_ms": statistics.median(first), "last_byte_ms": statistics.median(last),
                "interactive_ms": statistics.median(interactive), "dcl_ms": statistics.median(dcl), "load_ms": statistics.median(loads), "click_ms": click_ms,
                        "fields": len(fields)}
    finally:
        d.quit()
        srv.should_exit = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, default=500)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home, run_dir = Path(tmp) / "home", Path(tmp) / "run"
        text = long_page(args.kb)
        extract_s, values = make_run(run_dir, text)
        server = server_figures(home, run_dir)
        browser = browser_figures(home, run_dir, server["job"])
    size = len(text.encode("utf-8")) / 1000
    rows = [
        f"| review page, {size:.0f} KB page, {values} values: server render (state + HTML) | {server['render_ms']:.0f} ms | "
        f"HTML {server['html_kb']:.0f} KB; the rules extraction of the page itself took {extract_s:.2f} s (not counted) |",
        f"| review page GET through the app (ASGI, auth, catalog): first open / again | {server['cold_get_ms']:.0f} / "
        f"{server['get_ms']:.0f} ms | again: the document's state is kept while it is unchanged (median of 4) |",
    ]
    if browser:
        rows.append(f"| headless Chromium, first open of the document: load | {browser['cold_load_ms']:.0f} ms | "
                    f"first byte {browser['cold_first_byte_ms']:.0f} ms (the server computing its state) |")
        rows.append(f"| headless Chromium: DOMContentLoaded / load | {browser['dcl_ms']:.0f} / {browser['load_ms']:.0f} ms"
                    f" | median of 3 (navigation timing: first byte {browser['first_byte_ms']:.0f} ms, last byte "
                    f"{browser['last_byte_ms']:.0f} ms, DOM interactive {browser['interactive_ms']:.0f} ms); click on the last highlight of the page "
                    f"to its field selected (its folded list fetched and shown): {browser['click_ms']:.0f} ms |")
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = (f"\n\n## Review page (`python -m benchmarks.bench_review --kb {args.kb}`, {stamp})\n\n"
             "| metric | value | note |\n|---|---|---|\n" + "\n".join(rows) + "\n")
    print(block)
    if not args.no_append:
        with (ROOT / "benchmarks" / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write(block)


if __name__ == "__main__":
    main()
