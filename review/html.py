"""HTML building blocks of the review page: escaping, the page shell, and the page text with each
value's evidence marked where it sits (`<mark data-path=...>`), cut into lazily painted chunks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from extractor import Evidence, Provenance

__all__ = ["attr", "e", "highlighted_text", "mark_class", "shell", "json_script"]

CHUNK = 6000  # characters of page text per chunk: off-screen chunks are not painted


def e(value: Any) -> str:
    """Text for an element's content or a quoted attribute: everything escaped."""
    return escape("" if value is None else str(value), quote=True)


def attr(name: str, value: Any) -> str:
    return f' {name}="{e(value)}"'


def json_script(element_id: str, data: Any) -> str:
    """Data for the script as JSON in a non-executed <script>; `<` escaped so no tag can close it."""
    raw = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{e(element_id)}">{raw}</script>'


def shell(title: str, body: str, *, who: str | None = None, script: bool = False) -> str:
    """A whole page: the stylesheet, a top bar with the signed-in name and sign-out, the body."""
    top = ""
    if who is not None:
        top = ('<form class="signout" method="post" action="/review/logout">'
               f'<span class="who">{e(who)}</span> <button type="submit">sign out</button></form>')
    js = '<script src="/review/static/review.js" defer></script>' if script else ""
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta name=\"referrer\" content=\"no-referrer\">"
            f"<title>{e(title)}</title><link rel=\"stylesheet\" href=\"/review/static/review.css\">{js}</head>"
            f"<body><nav class=\"top\"><a href=\"/review/jobs\">trialx review</a>{top}</nav>{body}</body></html>")


def mark_class(ev: Evidence, prov: Provenance | None, edited: bool) -> str:
    """Colour of a value by who gave it (model, rules, both agreeing or not, a person) and how its
    evidence matched (exact, normalized, fuzzy, none)."""
    if edited:
        source = "human"
    elif prov is None:
        source = "none"
    elif prov.source.value == "both":
        source = "agreed" if prov.agreed is not False else "disagree"
    else:
        source = prov.source.value
    return f"st-{ev.status.value} src-{source}"


def highlighted_text(text: str, evidence: Mapping[str, Evidence], classes: Mapping[str, str]) -> str:
    """The page text, escaped, with one <mark data-path> per value's evidence span (overlapping spans
    nest, the shortest innermost) in <div class="chunk"> blocks cut at line ends between marks."""
    spans = sorted((ev.start, ev.end, path) for path, ev in evidence.items()
                   if ev.start is not None and ev.end is not None and 0 <= ev.start < ev.end <= len(text))
    starts: dict[int, list[tuple[int, int, str]]] = {}
    for span in spans:
        starts.setdefault(span[0], []).append(span)
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(t for _, t, _ in spans)})
    out: list[str] = ['<div class="chunk">']
    active: list[tuple[int, int, str]] = []
    chunk_len = 0
    for a, b in zip(cuts, cuts[1:]):
        active = [s for s in active if s[1] > a] + starts.get(a, [])
        piece = text[a:b]
        if not active:
            while chunk_len + len(piece) > CHUNK and (nl := piece.find("\n", max(0, CHUNK - chunk_len))) >= 0:
                out.append(e(piece[:nl + 1]))
                out.append('</div><div class="chunk">')
                piece, chunk_len = piece[nl + 1:], 0
            out.append(e(piece))
            chunk_len += len(piece)
            continue
        nest = sorted(active, key=lambda s: (s[0] - s[1], s[2]))  # longest (outermost) first
        opened = "".join(f'<mark data-path="{e(p)}" class="{classes.get(p, "")}">' for _, _, p in nest)
        out.append(opened + e(piece) + "</mark>" * len(nest))
        chunk_len += len(piece)
    out.append("</div>")
    return "".join(out)
