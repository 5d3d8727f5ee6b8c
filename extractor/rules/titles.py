"""Titles for the rules: brief title, official title, acronym, with a guard on what a title is.

A page with no title label still has its heading, but the lines above the record are mostly the
site's: its name and motto, a nav trail, a language switch, a person's role printed under
"Title". A value is taken as the brief title only when it reads like a trial's title, so a
wrong title becomes an empty one.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.rules.lexicon import fold_label, lookup
from extractor.rules.parsers import bare_count, bare_enum, is_bare_date
from extractor.rules.section_values import NOT_STATED_RE, put
from extractor.rules.segment import Line, Page, Section, strip_marker

__all__ = ["PLACEHOLDER_RE", "looks_like_title", "read_titles", "title_value"]

# A registry's own name printed above the record ("... Clinical Trials Registry", "Search Portal").
_BANNER_RE = re.compile(r"\bclinical trials? regist(?:ry|er)\b|\bsearch portal\b|\bregistry platform\b|"
                        r"\b(?:uses?|accept|allow|enable|manage) (?:all )?(?:cookies|javascript)\b|"
                        r"\bcookies? (?:policy|settings|preferences|consent)\b|\bjavascript (?:is )?(?:disabled|required)\b|"
                        r"\bthis (?:site|website|page) uses\b",
                        re.IGNORECASE)
# Words that name a site or its owner, not a trial: a masthead paragraph holding one is chrome.
_SITE_RE = re.compile(r"\b(?:regist(?:er|ry|ro|re)|registration platform|portal|archive|database|"
                      r"[\w-]+\.(?:gov|org|com|net)|part of|near you|home)\b", re.IGNORECASE)
_NAV_SEPS = (" > ", " | ", " / ", " » ", " › ")
_MENU_RE = re.compile(r"\s{2,}")
# Site actions and menu words that open a line of chrome ("Find cancer trials near you").
_ACTION_RE = re.compile(r"^(?:find|search|browse|explore|share|print|save|sign|log|back|view|download|"
                        r"subscribe|register|home|menu|skip|go to|click|contact us|about us)\b", re.IGNORECASE)
# A person's position printed under a contact's "Title" row.
_ROLE_RE = re.compile(r"\b(?:professor|lecturer|doctor|physician|surgeon|nurse|coordinator|investigator|"
                      r"director|manager|fellow|resident|consultant|researcher|scientist|pharmacist|"
                      r"assistant|associate|chair|head|dean|officer|student|Dr|Prof|MD|PhD)\b\.?", re.IGNORECASE)
# A language code line in a bilingual record ("en", "pt-br", "EN:").
_LANGUAGE_RE = re.compile(r"^[a-z]{2}(?:[-_][a-z]{2,4})?:?$")
# A label-set tag cell before a value ("ICMJE<TAB>A study of ...").
_TAG_CELL_RE = re.compile(r"^[A-Z]{2,8}\t+")
# Label keys that, opening a line, make it a field row rather than a heading ("Sponsor Acme Inc.").
_ROW_KEYS = frozenset({"lead_sponsor", "sponsors", "collaborators", "responsible_party", "nct_id", "registry_id",
                       "secondary_ids", "overall_status", "recruitment_status", "first_posted_date",
                       "last_update_date", "start_date", "completion_date", "primary_completion_date",
                       "contacts", "sex", "enrollment", "study_type", "locations"})
_GENERIC = frozenset({"title"})  # a bare "Title" label: also a person's title in a contact card
# A placeholder that sends the reader to another field ("See Detailed Description"): never a value.
PLACEHOLDER_RE = re.compile(r"^(?:please\s+)?(?:see|refer\s+to|as\s+per|same\s+as|click\s+(?:here|to))\b.{0,40}$",
                            re.IGNORECASE)


def looks_like_title(text: str) -> bool:
    """A trial title: several words, no site name, nav trail, menu, role, label row or bare value."""
    words = text.split()
    if len(words) < 4 or len(text) < 20 or len(text) > 400 or "://" in text or "\t" in text:
        return False
    if any(sep in text for sep in _NAV_SEPS) or ("  " in text and len(_MENU_RE.split(text)) >= 3):
        return False
    if _BANNER_RE.search(text) or _ACTION_RE.match(text.lstrip("<«‹←- ")):
        return False
    if len(words) <= 6 and _ROLE_RE.search(text):
        return False
    if bare_enum(text) or is_bare_date(text) or bare_count(text) is not None:
        return False
    return not _opens_with_label(words)


def _opens_with_label(words: list[str]) -> bool:
    for n in range(1, min(4, len(words) - 1) + 1):
        found = lookup(" ".join(words[:n]).rstrip(":"))
        if found is not None and found[0] in _ROW_KEYS:
            return True
    return False


def title_value(section: Section) -> str | None:
    """The section's title text: past a language code line ("en") and a tag cell ("ICMJE")."""
    for line in section.lines[:4]:
        text = _TAG_CELL_RE.sub("", strip_marker(line.text)).strip()
        if not text or _LANGUAGE_RE.match(text):
            continue
        return None if NOT_STATED_RE.match(text) or PLACEHOLDER_RE.match(text) else text
    return None


def read_titles(page: Page, out: dict[str, Any]) -> None:
    for key in ("official_title", "acronym"):
        put(out, key, next((v for v in map(title_value, page.all(key)) if v), None))
    labelled = page.all("brief_title")
    specific = [s for s in labelled if fold_label(s.label)[0] not in _GENERIC]
    for section in specific:  # "Public title", "Brief Title": the page says what the title is
        put(out, "brief_title", title_value(section))
    for section in labelled:  # "Title": a person's title too, so it must read like a trial's
        value = title_value(section)
        if value and looks_like_title(value):
            put(out, "brief_title", value)
    if "brief_title" in out:
        return
    lines = _heading_lines(page)
    main = [line for line in lines if line.text.startswith("# ")]  # a page's main heading, when marked
    for line in main or lines:
        if line.bulleted and not line.text.startswith("#"):
            continue  # a list item is not a heading
        if not line.text.startswith("# ") and _SITE_RE.search(line.text):
            continue  # an unmarked line about the site ("The register also displays …") is no title
        text = strip_marker(line.text).lstrip("# ").strip()
        if looks_like_title(text):
            out["brief_title"] = text
            return


def _heading_lines(page: Page) -> list[Line]:
    """The unlabelled lines above the record's first block (and what trails the one-line fields
    printed there, "DOI: https://…" then the heading), less a masthead: the page's first
    paragraph when it names the site ("German Clinical Trials Register", a nav trail)."""
    lines = list(page.sections[0].lines)
    for section in page.sections[1:]:
        if not section.inline:
            break
        lines.extend(section.lines[1:])
    first = _first_paragraph(page, lines)
    if any(_SITE_RE.search(line.text) or any(sep in line.text for sep in _NAV_SEPS) for line in first):
        return lines[len(first):]
    return lines


def _first_paragraph(page: Page, lines: list[Line]) -> list[Line]:
    for i in range(1, len(lines)):
        if "\n\n" in page.text[lines[i - 1].start: lines[i].start].replace("\r", "").replace(" ", ""):
            return lines[:i]
    return []  # one paragraph only: no masthead set apart
