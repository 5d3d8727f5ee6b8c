"""A table per document for a person: each filled field with its value, match status, provenance
and the checks' findings beside it.

Short form (default): one row per filled field, one line each: long text cut with "…", lists
summarised ("3: first; second; …"), match statuses and provenance counted over the list's items.
Full form (`full=True`): one row per value path (`arms[0].label`, `inclusion_criteria[3]`), the
whole text wrapped. Fields the document does not state are named once, under the table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from collections.abc import Iterator, Mapping
from typing import Any, Literal, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from extractor.outputs.fields import NESTED_FIELDS, field_of

__all__ = ["TableWriter", "flatten", "summary"]

_STATUS_STYLE = {"exact": "green", "normalized": "cyan", "fuzzy": "yellow", "none": "red"}
_SEVERITY_MARK = {"error": ("✗", "bold red"), "warning": ("!", "yellow"), "info": ("i", "blue")}
_SHORT = 160
_ABBREVIATED = {"normalized": "norm"}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _shorten(text: str, limit: int = _SHORT) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def _item_label(field: str, item: Mapping[str, Any]) -> str:
    if field == "arms":
        return f"{item.get('label')}" + (f" ({item['type']})" if item.get("type") else "")
    if field == "interventions":
        return f"{item.get('name')}" + (f" ({item['type']})" if item.get("type") else "")
    if field in ("primary_outcomes", "secondary_outcomes"):
        return str(item.get("measure"))
    if field == "locations":
        return ", ".join(str(v) for v in (item.get("facility"), item.get("city"), item.get("country")) if v)
    if field == "contacts":
        return f"{item.get('name') or item.get('email') or item.get('phone')}" + (f" ({item['role']})" if item.get("role") else "")
    return _text(item)


def summary(field: str, value: Any) -> str:
    """One line for a field's value: the value itself, or a count and the first items of a list."""
    if isinstance(value, list):
        return f"{len(value)}: " + "; ".join(_item_label(field, v) if isinstance(v, dict) else _text(v) for v in value)
    return _text(value)


def flatten(record: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(path, value) for every filled value, in schema order: "arms[0].label", "phases[1]", "enrollment"."""
    for field, value in record.items():
        if isinstance(value, list):
            for n, item in enumerate(value):
                if isinstance(item, dict):
                    for key, sub in item.items():
                        if sub not in (None, []):
                            yield f"{field}[{n}].{key}", (", ".join(map(str, sub)) if isinstance(sub, list) else sub)
                else:
                    yield f"{field}[{n}]", item
        elif value is not None:
            yield field, value


def _counted(values: list[str], styles: Mapping[str, str] | None = None, *, counts_when_one: bool = True) -> Text:
    """"6 exact 1 normalized"; one distinct value alone when `counts_when_one` is off ("rules")."""
    text = Text()
    counts = Counter(values)
    for n, (value, count) in enumerate(counts.most_common()):
        if n:
            text.append(" ")
        plain = len(counts) == 1 and (count == 1 or not counts_when_one)
        word = value if len(counts) == 1 else _ABBREVIATED.get(value, value)
        text.append(word if plain else f"{count} {word}", style=(styles or {}).get(value, ""))
    return text


def _provenance_word(entry: Mapping[str, Any] | None) -> str:
    if not entry:
        return "-"
    source = str(entry.get("source"))
    if entry.get("agreed") is True:
        return f"{source} agree"
    if entry.get("agreed") is False:
        return f"{source} differ"
    return source


@dataclass
class _Row:
    fields: tuple[str, ...]  # the record fields this row shows (a date and its type share one row)
    path: str
    value: str
    match: Text
    source: str


class TableWriter:
    """Writes each document's table as its line arrives; `full` shows every path and the whole text."""

    def __init__(self, out: TextIO, *, full: bool = False, width: int | None = None) -> None:
        self.full = full
        self.console = Console(file=out, width=width, highlight=False, soft_wrap=False)

    def write(self, line: Mapping[str, Any]) -> None:
        if "record" not in line:
            error = line.get("error") or {}
            self.console.print(Text.assemble(("✗ ", "bold red"), (f"{line.get('id')}", "bold"),
                                             f" ({line.get('source')}): {error.get('code')}: {error.get('message')}"))
            return
        self.console.print(self._table(line))
        self.console.file.flush()

    def _table(self, line: Mapping[str, Any]) -> Table:
        record: Mapping[str, Any] = line["record"]
        evidence: Mapping[str, Any] = line.get("evidence") or {}
        provenance: Mapping[str, Any] = line.get("provenance") or {}
        issues: list[Mapping[str, Any]] = line.get("issues") or []
        rows = list(self._full_rows(record, evidence, provenance) if self.full
                    else self._short_rows(record, evidence, provenance))
        title = f"{line.get('id')}" + (f" — {record['brief_title']}" if record.get("brief_title") else "")
        empty = [f for f, v in record.items() if v in (None, [])]
        caption = f"{line.get('source')} · backend {line.get('backend')} · {len(issues)} finding(s)"
        sources = {r.source for r in rows}
        one_source = len(sources) <= 1
        if one_source and sources:
            caption += f" · every value from {sources.pop()}"
        if empty:
            caption += f"\nnot stated: {', '.join(empty)}"
        findings = self._place(issues, rows)
        widths = self._widths(rows, one_source, bool(issues))
        table = Table(title=title if self.full else _shorten(title, widths["total"]), caption=caption,
                      caption_justify="left", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                      pad_edge=False, expand=False, title_style="bold")
        fold: Literal["fold", "ellipsis"] = "fold" if self.full else "ellipsis"
        table.add_column("field", style="bold", no_wrap=True, width=widths["field"])
        table.add_column("value", no_wrap=not self.full, overflow=fold, width=widths["value"])
        table.add_column("match", no_wrap=True, width=widths["match"])
        if not one_source:
            table.add_column("from", no_wrap=True, width=widths["from"])
        if issues:
            table.add_column("findings", no_wrap=not self.full, overflow=fold, width=widths["findings"])
        for n, row in enumerate(rows):
            cells: list[Any] = [row.path, row.value, row.match] + ([] if one_source else [row.source])
            table.add_row(*cells, *([self._findings(findings.get(n, []))] if issues else []))
        if -1 in findings:
            table.add_row("(record)", "", "", *([] if one_source else [""]), self._findings(findings[-1]))
        return table

    def _widths(self, rows: list[_Row], one_source: bool, with_findings: bool) -> dict[str, int]:
        total = self.console.width
        field = max([len(r.path) for r in rows] + [8])
        match = max([len(r.match) for r in rows] + [5])
        source = 0 if one_source else max([len(r.source) for r in rows] + [4])
        columns = 3 + (not one_source) + with_findings
        free = max(total - field - match - source - 3 * (columns - 1), 24)
        findings = (free * 2 // 5 if free >= 60 or self.full else free // 3) if with_findings else 0
        return {"total": total, "field": field, "match": match, "from": source,
                "value": free - findings, "findings": findings}

    @staticmethod
    def _place(issues: list[Mapping[str, Any]], rows: list[_Row]) -> dict[int, list[Mapping[str, Any]]]:
        """Each issue beside the first row showing one of its fields; -1: the record as a whole."""
        first_row: dict[str, int] = {}
        for n, row in enumerate(rows):
            for field in row.fields:
                first_row.setdefault(field, n)
        placed: dict[int, list[Mapping[str, Any]]] = {}
        for issue in issues:
            where = sorted({first_row.get(field_of(p), -1) for p in issue.get("paths") or []} or {-1})
            for n in where:
                if n != -1 or where == [-1]:
                    placed.setdefault(n, []).append(issue)
        return placed

    def _short_rows(self, record: Mapping[str, Any], evidence: Mapping[str, Any],
                    provenance: Mapping[str, Any]) -> Iterator[_Row]:
        for field, value in record.items():
            if value in (None, []) or (field.endswith("_type") and record.get(field[:-5]) is not None):
                continue  # a date's or count's type shows beside it
            if isinstance(value, list):
                statuses = [str(ev.get("status")) for k, ev in evidence.items() if field_of(k) == field]
                sources = [_provenance_word(p) for k, p in provenance.items() if field_of(k) == field]
                match = _counted(statuses, _STATUS_STYLE) if statuses else Text("-")
                yield _Row((field,), field, _shorten(summary(field, value)), match,
                           _counted(sources, counts_when_one=False).plain or "-")
                continue
            kind = record.get(f"{field}_type")
            shown = _text(value) + (f" ({kind})" if kind else "")
            status = str((evidence.get(field) or {}).get("status", "-"))
            yield _Row((field, f"{field}_type"), field, _shorten(shown), Text(status, style=_STATUS_STYLE.get(status, "")),
                       _provenance_word(provenance.get(field)))

    def _full_rows(self, record: Mapping[str, Any], evidence: Mapping[str, Any],
                   provenance: Mapping[str, Any]) -> Iterator[_Row]:
        for path, value in flatten(record):
            ev = evidence.get(path) or {}
            status = str(ev.get("status", "-"))
            match = Text(status, style=_STATUS_STYLE.get(status, ""))
            if ev.get("start") is not None:
                match.append(f" @{ev['start']}", style="dim")
            entry = provenance.get(path) or provenance.get(path.split(".")[0])
            yield _Row((field_of(path),), path, _text(value), match, _provenance_word(entry))

    def _findings(self, issues: list[Mapping[str, Any]]) -> Text:
        text = Text()
        for n, issue in enumerate(issues):
            mark, style = _SEVERITY_MARK.get(str(issue.get("severity")), ("?", ""))
            if n:
                text.append("\n" if self.full else "; ")
            text.append(f"{mark} {issue.get('code')}", style=style)
            text.append(f" {issue.get('message')}")
        return text

    def close(self) -> None:
        self.console.file.flush()
