"""One text rendering of an HTML page: the text every span of evidence points into.

The page's structure decides the lines: a table row is one line with its cells kept apart by a
tab ("Label<TAB>value"; a cell that holds several lines goes on with them on the following lines),
a definition list gives one "term<TAB>definition" line per pair, block elements and headings start
lines, list items become "• " lines, and the page's main heading (the first <h1> whose text is the
leading part of the document's <title>, "Trial title - Site name") is rendered as "# heading".
What is not content is left out: scripts, styles, forms' controls, navigation, site headers and
footers, cookie and consent banners, glossaries, tooltips and help text, modal dialogs, and hidden
elements (tab panels, hidden until their tab is chosen, are content and stay). A "Read more"
pair, a visible excerpt (cut with an ellipsis, or the first items of the same list) beside a hidden
element holding the whole text, is rendered once, as the whole text: a reader sees it after one
click, and the excerpt is its prefix.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["render_html"]

_DROP = frozenset({"script", "style", "nav", "noscript", "template", "svg", "head", "iframe", "footer",
                   "button", "select", "option", "input", "textarea", "object", "embed", "canvas", "map",
                   "dialog", "-comment"})
_BLOCK = frozenset({"p", "div", "section", "article", "header", "main", "aside", "h1", "h2", "h3", "h4",
                    "h5", "h6", "ul", "ol", "table", "thead", "tbody", "tfoot", "pre", "blockquote", "form",
                    "fieldset", "figure", "figcaption", "address", "hr", "caption", "details", "summary",
                    "body", "html", "center", "legend", "dl"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "dialog", "alertdialog", "tooltip",
                           "menu", "menubar", "alert"})
# Words in a class or id that mark an element as the site's, not the record's.
_CHROME_WORDS = frozenset({"cookie", "cookies", "consent", "gdpr", "glossary", "tooltip", "tooltips", "popover",
                           "popup", "modal", "help", "helptext", "hint", "hints", "nav", "navbar", "navigation",
                           "menu", "menus", "breadcrumb", "breadcrumbs", "skip", "footer", "sronly", "disclaimer",
                           "banner", "masthead", "toolbar", "social", "feedback", "newsletter",
                           "visuallyhidden", "offscreen"})
# Words that make a hidden element a tab panel (content shown when its tab is chosen).
_PANEL_WORDS = frozenset({"tab", "tabs", "tabpanel", "tabcontent", "panel", "pane", "accordion", "collapse"})
_WORD_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_TITLE_SEP_RE = re.compile(r"\s+[-|–—:»]\s+")
_CELLS = ("td", "th")
_NEVER_CHROME = frozenset({"html", "body", "main", "article", "form", "table", "tr", "td", "th", "thead", "tbody",
                           "tfoot", "dt", "dd", "li", "h1"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_MAX_DEPTH = 300  # deeper than any real page: below it an element's text is taken flat


def render_html(html: str) -> str:
    """The page's text rendering (see the module's docstring); ends with one newline."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    page_title = _norm(title_node.text(deep=True)) if title_node is not None else ""
    main = _main_heading(tree, page_title)
    root = tree.body or tree.root
    out = _Renderer(main, _site_name(page_title))
    out.wholes, out.excerpts = _read_more_pairs(tree)
    if root is not None:
        out.walk(root, 0)
    out.flush()
    return "\n".join(out.lines) + "\n" if out.lines else ""


def _norm(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def _main_heading(tree: Any, page_title: str) -> int | None:
    """The first <h1> whose text is the document title's leading part but not its last (the site's)."""
    parts = [p for p in _TITLE_SEP_RE.split(page_title) if p]
    if len(parts) < 2:
        return None
    first, last = parts[0].casefold(), parts[-1].casefold()
    for node in tree.css("h1"):
        text = _norm(node.text(deep=True)).casefold()
        if len(text) < 20 or text == last or last.startswith(text):
            continue
        if text.startswith(first) or first.startswith(text):
            return node.mem_id
    return None


def _site_name(page_title: str) -> str:
    """The last part of a "Page - Site" document title: a heading that repeats it is the masthead."""
    parts = [p for p in _TITLE_SEP_RE.split(page_title) if p]
    return parts[-1].casefold() if len(parts) >= 2 else ""


def _words(value: str) -> set[str]:
    return {w.lower() for w in _WORD_RE.findall(value.replace("sr-only", "sronly"))}


_ELLIPSIS_RE = re.compile(r"\s*(?:\.{3}|…)\s*$")
_MIN_EXCERPT = 20  # characters: shorter "…" texts are labels or links, not excerpts


def _element_siblings(node: Any) -> list[Any]:
    """The element siblings on either side of a node, nearest first (two each way)."""
    found: list[Any] = []
    for forward in (True, False):
        sib, n = (node.next if forward else node.prev), 0
        while sib is not None and n < 2:
            if sib.tag != "-text":
                found.append(sib)
                n += 1
            sib = sib.next if forward else sib.prev
    return found


def _read_more_pairs(tree: Any) -> tuple[set[int], set[int]]:
    """Hidden whole texts to render, and the visible excerpts (ellipsis-cut prefixes) they replace."""
    wholes: set[int] = set()
    excerpts: set[int] = set()
    for node in tree.css("[style], [hidden], [aria-hidden]"):
        if not _hidden(node.attributes):
            continue
        full = _norm(node.text(deep=True) or "")
        for sib in _element_siblings(node):
            shown = _norm(sib.text(deep=True) or "")
            head = _ELLIPSIS_RE.sub("", shown)
            cut = head != shown or sib.tag == node.tag  # "…"-cut text, or the first items of the same list
            if cut and len(head) >= _MIN_EXCERPT and len(full) > len(head) and full.startswith(head):
                wholes.add(node.mem_id)
                excerpts.add(sib.mem_id)
                break
    return wholes, excerpts


def _hidden(attrs: Any) -> bool:
    return "hidden" in attrs or (attrs.get("aria-hidden") or "").lower() == "true" \
        or bool(_HIDDEN_STYLE_RE.search(attrs.get("style") or ""))


def _skipped(node: Any) -> bool:
    """Not content: a chrome role, class or id, or hidden (unless a tab panel or a "Read more" text)."""
    attrs = node.attributes
    if not attrs:
        return False
    role = (attrs.get("role") or "").lower()
    if role in _CHROME_ROLES:
        return True
    words = _words((attrs.get("class") or "") + " " + (attrs.get("id") or ""))
    if _hidden(attrs):
        panel = role == "tabpanel" or any(k.startswith("data-tab") for k in attrs) or bool(words & _PANEL_WORDS)
        if not panel:
            return True
    if node.tag in _NEVER_CHROME:
        return False  # the page's frame, or a row or cell of the record, whatever its class says
    return bool(words & _CHROME_WORDS)


class _Renderer:
    def __init__(self, main: Any = None, site: str = "") -> None:
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.main = main
        self.site = site
        self.wholes: set[int] = set()  # hidden "Read more" texts, rendered
        self.excerpts: set[int] = set()  # the visible excerpts they replace, left out

    def flush(self) -> None:
        if self.buf:
            text = _norm("".join(self.buf))
            self.buf = []
            if text:
                self.lines.append(text)

    def walk(self, node: Any, depth: int) -> None:
        child = node.child
        while child is not None:
            self.visit(child, depth + 1)
            child = child.next

    def visit(self, node: Any, depth: int) -> None:
        tag = node.tag
        if tag == "-text":
            self.buf.append(node.text_content or "")
            return
        if tag in _DROP or node.mem_id in self.excerpts or (node.mem_id not in self.wholes and _skipped(node)):
            return
        if depth > _MAX_DEPTH:
            self.buf.append(" " + (node.text(deep=True) or "") + " ")
            return
        if tag == "br":
            self.flush()
        elif tag == "tr":
            self.flush()
            self.row(node, depth)
        elif tag == "dl":
            self.flush()
            self.definitions(node, depth)
        elif tag == "li":
            self.flush()
            self.buf.append("• ")
            self.walk(node, depth)
            self.flush()
        elif tag in _HEADINGS and self.site and _norm(node.text(deep=True)).casefold() == self.site:
            return  # the site's name as a heading: its masthead
        elif self.main is not None and tag == "h1" and node.mem_id == self.main:
            self.flush()
            self.buf.append("# ")
            self.walk(node, depth)
            self.flush()
        elif tag in _BLOCK or tag in _CELLS or tag in ("dt", "dd"):
            self.flush()
            self.walk(node, depth)
            self.flush()
        else:
            self.walk(node, depth)

    def _cell_lines(self, node: Any, depth: int) -> list[str]:
        sub = _Renderer(self.main, self.site)
        sub.wholes, sub.excerpts = self.wholes, self.excerpts
        sub.walk(node, depth)
        sub.flush()
        return sub.lines

    def row(self, node: Any, depth: int) -> None:
        """A table row: its cells on one line, tab-separated; a cell of several lines continues below."""
        cells = []
        child = node.child
        while child is not None:
            if child.tag in _CELLS and not _skipped(child):
                lines = self._cell_lines(child, depth + 1)
                if lines:
                    cells.append(lines)
            elif child.tag not in _DROP and child.tag != "-text" and not _skipped(child):
                cells.append(self._cell_lines(child, depth + 1))  # stray markup inside a row
            child = child.next
        self._join(cells)

    def definitions(self, node: Any, depth: int) -> None:
        """A definition list: one "term<TAB>definition" line per pair (several definitions: one each)."""
        cells: list[list[str]] = []
        child = node.child
        while child is not None:
            if child.tag == "dt" and not _skipped(child):
                self._join(cells)
                cells = [self._cell_lines(child, depth + 1)]
            elif child.tag == "dd" and not _skipped(child):
                cells.append(self._cell_lines(child, depth + 1))
                self._join(cells)
                cells = []
            elif child.tag == "div" and not _skipped(child):  # <div><dt/><dd/></div> groups
                self._join(cells)
                cells = []
                self.definitions(child, depth + 1)
            child = child.next
        self._join(cells)

    def _join(self, cells: list[list[str]]) -> None:
        line: list[str] = []
        for lines in cells:
            if not lines:
                continue
            line.append(lines[0])
            if len(lines) > 1:
                self.lines.append("\t".join(line))
                self.lines.extend(lines[1:])
                line = []
        if line:
            self.lines.append("\t".join(line))
