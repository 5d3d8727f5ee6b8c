"""The review page in a real browser (the OS's headless Chromium; skipped when none is installed):
sign in, open a job, jump to a flagged field and see its span, correct, undo, correct again, add a
value by selecting its text, mark reviewed, export, and `trialx eval --gold` scores the export."""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from cli.main import run
from service import create_app
from tests.review.helpers import A, NDJSON, config
from tests.service.pages import page
from tests.service.test_serve import free_port

CHROMIUM = os.environ.get("TRIALX_CHROMIUM", "/usr/bin/chromium")
DRIVER = os.environ.get("TRIALX_CHROMEDRIVER", "/usr/bin/chromedriver")
SHOTS = os.environ.get("TRIALX_REVIEW_SCREENSHOTS")  # a directory for the queue and document screenshots

pytestmark = pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(DRIVER).exists()),
                                reason="no system Chromium/chromedriver (apt-get install chromium chromium-driver)")


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(config(tmp_path / "home")), host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.02)
    yield url
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


def flagged_page() -> str:
    """A page the checks flag: its maximum age is below its minimum."""
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet".split()
    return (page(1).replace("Minimum Age: 18 Years\n", "Minimum Age: 18 Years\nMaximum Age: 10 Years\n")
            + "".join(f"{n}. Consent about {w} matters\n" for n, w in enumerate(words, 3)))


def test_review_in_a_real_browser(server: str, browser: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    body = "\n".join(json.dumps({"id": i, "text": t}) for i, t in
                     (("calm", page(2)), ("flagged", flagged_page()), ("other", page(3))))
    job = httpx.post(f"{server}/v1/jobs", content=body, headers={**A, **NDJSON}).json()["id"]
    for _ in range(300):
        if httpx.get(f"{server}/v1/jobs/{job}", headers=A).json()["state"] == "done":
            break
        time.sleep(0.02)
    d = browser
    wait = WebDriverWait(d, 5)

    def field(path: str) -> Any:
        return d.find_element(By.CSS_SELECTOR, f'#record .field[data-path="{path}"]')

    def reloaded(old: Any) -> None:
        wait.until(lambda _: not _alive(old))
        wait.until(lambda _: d.execute_script("return !!document.querySelector('#record .field.current')"))

    d.get(f"{server}/review/jobs/{job}")
    assert "/review/login" in d.current_url and "tok" not in d.current_url
    d.find_element(By.NAME, "token").send_keys("tok-alice", Keys.ENTER)
    wait.until(lambda _: d.current_url.endswith(f"/review/jobs/{job}"))
    rows = [a.text for a in d.find_elements(By.CSS_SELECTOR, "table.queue tbody a")]
    assert rows[0] == "flagged"  # what needs a look comes first
    if SHOTS:
        d.save_screenshot(str(Path(SHOTS) / "review-queue.png"))
    d.find_element(By.LINK_TEXT, "flagged").click()

    # jump to the flagged field: its span is highlighted on the page
    wait.until(lambda _: d.find_elements(By.CSS_SELECTOR, "#record .field.flagged"))
    target = field("maximum_age")
    assert "AGE_RANGE" in target.text
    target.click()
    d.find_element(By.TAG_NAME, "body").send_keys("f")  # next flagged field (the other end of AGE_RANGE)
    assert "current" in field("minimum_age").get_attribute("class")
    target.click()
    mark = d.find_element(By.CSS_SELECTOR, 'mark.current[data-path="maximum_age"]')
    assert mark.text == "10 Years" and mark.is_displayed()
    assert "current" in target.get_attribute("class")
    d.find_element(By.TAG_NAME, "body").send_keys("k")  # keyboard: previous field, then back
    assert "current" in field("minimum_age").get_attribute("class")
    d.find_element(By.TAG_NAME, "body").send_keys("j")
    d.find_element(By.CSS_SELECTOR, 'mark[data-path="minimum_age"]').click()  # a highlight selects its field
    assert "current" in field("minimum_age").get_attribute("class")
    # a highlight of a folded list: its rows are fetched and its field selected
    assert d.find_elements(By.CSS_SELECTOR, '#record .field[data-path="inclusion_criteria[9]"]') == []
    d.find_element(By.CSS_SELECTOR, 'mark[data-path="inclusion_criteria[9]"]').click()
    wait.until(lambda _: "current" in field("inclusion_criteria[9]").get_attribute("class"))
    assert field("inclusion_criteria[9]").find_element(By.CLASS_NAME, "value").text == "Consent about hotel matters"
    field("maximum_age").click()

    # an invalid value is refused with the schema's message; a valid one is kept
    d.find_element(By.TAG_NAME, "body").send_keys("e")
    box = d.find_element(By.ID, "editor-input")
    box.clear()
    box.send_keys("ten", Keys.ENTER)
    wait.until(lambda _: d.find_element(By.ID, "editor-error").text)
    assert "maximum_age" in d.find_element(By.ID, "editor-error").text
    old = d.find_element(By.ID, "record")
    box.clear()
    box.send_keys("65 Years", Keys.ENTER)
    reloaded(old)
    assert field("maximum_age").find_element(By.CLASS_NAME, "value").text == "65 Years"
    assert "AGE_RANGE" not in field("maximum_age").text

    old = d.find_element(By.ID, "record")
    d.find_element(By.ID, "undo").click()
    reloaded(old)
    assert field("maximum_age").find_element(By.CLASS_NAME, "value").text == "10 Years"

    field("maximum_age").click()
    d.find_element(By.TAG_NAME, "body").send_keys("e")
    box = d.find_element(By.ID, "editor-input")
    box.clear()
    old = d.find_element(By.ID, "record")
    box.send_keys("65 Years", Keys.ENTER)
    reloaded(old)
    assert field("maximum_age").find_element(By.CLASS_NAME, "value").text == "65 Years"

    # add a missing value by selecting its text on the page: the selection is its evidence
    d.execute_script("""
        const pre = document.getElementById('page-text');
        const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
        let node;
        while ((node = walker.nextNode())) {
          const at = node.data.indexOf('Asthma');
          if (at >= 0) {
            const r = document.createRange(); r.setStart(node, at); r.setEnd(node, at + 6);
            const s = getSelection(); s.removeAllRanges(); s.addRange(r);
            pre.dispatchEvent(new MouseEvent('mouseup', {bubbles: true})); break;
          }
        }""")
    pick = d.find_element(By.ID, "selbar-field")
    from selenium.webdriver.support.select import Select
    Select(pick).select_by_visible_text("+ add to keywords")
    d.find_element(By.ID, "selbar-use").click()
    assert d.find_element(By.ID, "editor-input").get_attribute("value") == "Asthma"
    old = d.find_element(By.ID, "record")
    d.find_element(By.ID, "editor-save").click()
    reloaded(old)
    assert d.find_element(By.CSS_SELECTOR, 'mark[data-path="keywords[0]"]').text == "Asthma"

    old = d.find_element(By.ID, "record")
    d.find_element(By.ID, "mark-reviewed").click()
    reloaded(old)
    assert "alice" in d.find_element(By.CLASS_NAME, "reviewed-by").text
    field("maximum_age").click()
    if SHOTS:
        d.save_screenshot(str(Path(SHOTS) / "review-doc.png"))

    # export (the queue's button fetches this zip) and score a run against it
    d.find_element(By.LINK_TEXT, "queue").click()
    assert d.find_element(By.CSS_SELECTOR, "form.export button").text.startswith("export gold (1 reviewed)")
    export = httpx.get(f"{server}/review/api/export/{job}", headers=A)
    gold = tmp_path / "gold"
    zipfile.ZipFile(io.BytesIO(export.content)).extractall(gold)
    assert sorted(p.name for p in (gold / "records").iterdir()) == ["flagged.json"]
    with pytest.raises(SystemExit):
        run(["eval", "--gold", str(gold), "--backend", "rules", "--out", str(tmp_path / "eval")])
    scores = json.loads((tmp_path / "eval" / "scores.json").read_text(encoding="utf-8"))
    assert scores["fields"]["maximum_age"]["wrong"] == 1 and scores["fields"]["enrollment"]["correct"] == 1
    assert d.get_log("browser") == [] or all("favicon" in e["message"] for e in d.get_log("browser"))
    shutil.rmtree(gold)


def _alive(element: Any) -> bool:
    try:
        element.is_enabled()
        return True
    except Exception:  # noqa: BLE001 - a stale element: the page was reloaded
        return False
