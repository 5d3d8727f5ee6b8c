"""The HTML rendering: rows, definition lists and the main heading kept; banners, help and hidden text left out;
and the rules, reading it, never take a value from chrome or a placeholder (a fixture imitating real pages)."""

from __future__ import annotations

from pathlib import Path

from extractor.html_render import render_html
from extractor.rules.reader import extract_rules

PAGE = (Path(__file__).parent / "fixtures" / "html" / "chrome_page.html").read_text(encoding="utf-8")
CHROME = ("cookies", "service of", "Study record managers", "Find Studies", "Home >", "official title of a protocol",
          "organization that initiates", "Hidden placeholder", "Terms and conditions", "Accept")


def test_rendering_keeps_structure_and_drops_chrome() -> None:
    text = render_html(PAGE)
    lines = text.splitlines()
    assert lines[0] == "# Short Study Heading Of The Trial Page"  # the main heading: it leads <title>
    assert "Sponsor\tAcme Pharma Ltd" in lines and "Enrollment\t120" in lines
    assert "Phase\tPhase 3" in lines and "Study Type\tInterventional" in lines  # dt/dd pairs
    assert "Primary Completion Date\tJune 2024" in lines  # a hidden tab panel is content
    for chrome in CHROME:
        assert chrome not in text, chrome


def test_no_value_from_banner_help_or_placeholder() -> None:
    record = extract_rules(render_html(PAGE))
    assert record.brief_title == "Short Study Heading Of The Trial Page"  # the heading, not "See Detailed …"
    assert record.lead_sponsor == "Acme Pharma Ltd"
    assert record.conditions == ["Seasonal affective disorder"]
    assert record.enrollment == 120 and [p.value for p in record.phases] == ["PHASE3"]
    dumped = record.model_dump_json()
    for chrome in CHROME + ("See Detailed",):
        assert chrome not in dumped, chrome


def test_a_site_heading_is_not_the_main_heading() -> None:
    html = ("<html><head><title>Protocol Summary 12-345 | Example Pharma Trials Site</title></head><body>"
            "<h1>Example Pharma Trials Site</h1><p>This site uses cookies to improve your experience today.</p>"
            "<table><tr><td>Official Title</td><td>A Phase 2 Study of Drug X in Adults With Asthma</td></tr></table>"
            "</body></html>")
    text = render_html(html)
    assert "# " not in text
    record = extract_rules(text)
    assert record.brief_title is None  # neither the site's heading nor the banner
    assert record.official_title == "A Phase 2 Study of Drug X in Adults With Asthma"


def test_deep_nesting_does_not_overflow() -> None:
    html = "<div>" * 5000 + "Deep text" + "</div>" * 5000
    assert render_html(html).strip() == "Deep text"


def test_a_chrome_word_on_the_page_frame_drops_nothing() -> None:
    html = ('<html><body class="help-page"><main id="main-menu-target"><table class="print">'
            "<tr><th>Enrollment</th><td>42</td></tr></table></main></body></html>")
    assert render_html(html) == "Enrollment\t42\n"


def test_read_more_renders_the_whole_text_once() -> None:
    html = """<html><body>
    <div><p>Detailed Description</p>
      <p class="more" style="display: none;">The study compares two doses.<br/>Both are given daily for twelve weeks.</p>
      <p>The study compares two doses.<br/>Both are given ...</p></div>
    <div><p>Secondary outcomes</p>
      <ul style="display:none"><li>Change in pain score at week 4</li><li>Change in pain score at week 8</li></ul>
      <ul><li>Change in pain score at week 4</li></ul></div>
    <p style="display:none">A hidden note that is nobody's excerpt</p>
    <p>Short ...</p>
    </body></html>"""
    lines = render_html(html).splitlines()
    assert "Both are given daily for twelve weeks." in lines and "Both are given ..." not in lines
    assert lines.count("• Change in pain score at week 4") == 1 and "• Change in pain score at week 8" in lines
    assert "A hidden note that is nobody's excerpt" not in lines and "Short ..." in lines
