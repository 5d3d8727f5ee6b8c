"""The review page's two views, rendered on the server: the queue of a job's documents sorted by
what needs a look (filters by issue code and field), and one document beside its record."""

from __future__ import annotations

import json
import re
from enum import Enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from extractor import Issue, TrialRecord
from review.edits import EditError, field_info
from review.html import attr, e, highlighted_text, json_script, mark_class, shell
from review.sources import JobSummary
from review.state import NEEDS_LOOK, DocumentState

__all__ = ["QueueRow", "document_page", "group_rows", "jobs_page", "login_page", "queue_order", "queue_page"]

FOLD_AFTER = 8  # list fields with more items than this start folded (the summary counts what is flagged)


@dataclass
class QueueRow:
    doc_id: str
    flags: dict[str, list[str]]  # NEEDS_LOOK code -> paths
    changes: int = 0
    reviewed_by: str | None = None
    fields: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.fields = {top_field(p) for paths in self.flags.values() for p in paths}


def top_field(path: str) -> str:
    return path.split("[")[0].split(".")[0]


def queue_order(rows: Sequence[QueueRow]) -> list[QueueRow]:
    """Not yet reviewed first; then by the most urgent kind of flag; then by how many flags."""
    def key(row: QueueRow) -> tuple[int, int, int, str]:
        urgent = min((NEEDS_LOOK.index(c) for c in row.flags if c in NEEDS_LOOK), default=len(NEEDS_LOOK))
        return (row.reviewed_by is not None, urgent, -sum(len(p) or 1 for p in row.flags.values()), row.doc_id)
    return sorted(rows, key=key)


def doc_url(job: str, doc: str) -> str:
    return f"/review/jobs/{quote(job, safe='')}/{quote(doc, safe='')}"


def login_page(next_url: str, message: str | None = None) -> str:
    note = f'<p class="error" role="alert">{e(message)}</p>' if message else ""
    body = ('<main class="login"><h1>Sign in to review</h1>' + note +
            '<form method="post" action="/review/login"><label>API token '
            '<input type="password" name="token" autocomplete="current-password" autofocus required></label>'
            f'<input type="hidden" name="next"{attr("value", next_url)}><button type="submit">sign in</button></form>'
            "<p class=\"hint\">The token is sent once in this form and kept only as a session cookie.</p></main>")
    return shell("sign in - trialx review", body)


def jobs_page(jobs: Sequence[JobSummary], who: str) -> str:
    items = "".join(f'<li><a href="/review/jobs/{quote(j.id, safe="")}">{e(j.title)}</a> '
                    f'<span class="muted">{j.documents} document(s) · {e(j.id)}</span></li>' for j in jobs)
    return shell("jobs - trialx review", f"<main><h1>Jobs</h1><ul class=\"jobs\">{items or '<li>none</li>'}</ul></main>",
                 who=who)


def queue_page(job: JobSummary, rows: Sequence[QueueRow], who: str, *, code: str | None = None,
               field_name: str | None = None) -> str:
    ordered = queue_order(rows)
    codes = sorted({c for r in rows for c in r.flags}, key=lambda c: NEEDS_LOOK.index(c) if c in NEEDS_LOOK else 99)
    fields = sorted({f for r in rows for f in r.fields})
    shown = [r for r in ordered if (not code or code in r.flags) and (not field_name or field_name in r.fields)]
    options = "".join(f"<option{attr('value', c)}{' selected' if c == code else ''}>{e(c)}</option>" for c in codes)
    field_options = "".join(f"<option{attr('value', f)}{' selected' if f == field_name else ''}>{e(f)}</option>"
                            for f in fields)
    jid = quote(job.id, safe="")
    head = "".join(f"<th>{e(c.replace('_', ' ').lower())}</th>" for c in NEEDS_LOOK)
    body = []
    for r in shown:
        cells = "".join(f'<td class="n{" hot" if r.flags.get(c) is not None else ""}">'
                        f'{len(r.flags[c]) or 1 if c in r.flags else ""}</td>' for c in NEEDS_LOOK)
        flagged = sorted(r.fields)
        more = f" +{len(flagged) - 6}" if len(flagged) > 6 else ""
        done = f"✓ {e(r.reviewed_by)}" if r.reviewed_by else ""
        body.append(f'<tr{attr("data-doc", r.doc_id)}><td><a href="{e(doc_url(job.id, r.doc_id))}">{e(r.doc_id)}</a></td>'
                    f'{cells}<td class="fields">{e(", ".join(flagged[:6]))}{more}</td>'
                    f'<td class="n">{r.changes or ""}</td><td class="reviewed">{done}</td></tr>')
    reviewed = sum(1 for r in rows if r.reviewed_by)
    html = (f'<main class="queue"><h1>{e(job.title)}</h1>'
            f'<p class="muted">{len(rows)} document(s), {reviewed} reviewed · job {e(job.id)}</p>'
            f'<form class="filters" method="get" action="/review/jobs/{jid}">'
            f'<label>issue <select name="code"><option value="">any</option>{options}</select></label> '
            f'<label>field <select name="field"><option value="">any</option>{field_options}</select></label> '
            '<button type="submit">filter</button></form>'
            f'<form class="export" method="get" action="/review/api/export/{jid}">'
            f'<button type="submit">export gold ({reviewed} reviewed)</button></form>'
            f'<table class="queue"><thead><tr><th>document</th>{head}<th>flagged fields</th><th>changes</th>'
            f'<th>reviewed</th></tr></thead><tbody>{"".join(body)}</tbody></table>'
            f'<p class="muted">{len(shown)} shown</p></main>')
    return shell(f"{job.title} - trialx review", html, who=who)


@lru_cache(maxsize=512)
def _info(pattern: str) -> str:
    """field_info for a path with its indices as written (cached by the index-free pattern)."""
    try:
        return json.dumps(field_info(pattern))
    except EditError:
        return json.dumps({"kind": "text"})


def _pattern(path: str) -> str:
    return re.sub(r"\[\d+\]", "[0]", path)


def _show(value: Any) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


MAX_FINDINGS = 3  # per field; the rest are counted


def _findings(issues: Sequence[Issue]) -> str:
    if not issues:
        return ""
    items = "".join(f'<li class="sev-{e(i.severity.value)}"><b>{e(i.code)}</b> {e(i.message)}</li>'
                    for i in issues[:MAX_FINDINGS])
    more = f'<li class="more">+{len(issues) - MAX_FINDINGS} more</li>' if len(issues) > MAX_FINDINGS else ""
    return f'<ul class="findings">{items}{more}</ul>'


def _row(state: DocumentState, path: str, value: Any, by_path: Mapping[str, list[Issue]], classes: Mapping[str, str]) -> str:
    """One field: its path, value, match status and source, and the findings that name it (the
    accept/edit/remove buttons are one toolbar the script moves to the selected field)."""
    flags = by_path.get(path, [])
    cls = "field"
    if value is None:
        badge = "missing"
        cls += " empty"
    else:
        ev = state.evidence.get(path)
        prov = state.provenance.get(path)
        source = "person" if path in state.edited else (prov.source.value if prov is not None else "")
        if prov is not None and prov.agreed is not None and path not in state.edited:
            source += " agreed" if prov.agreed else " disagree"
        badge = (ev.status.value if ev is not None else "none") + (" · " + source if source else "")
        cls += " " + classes.get(path, "st-none")
    if flags:
        cls += " flagged"
    if path in state.accepted:
        cls += " accepted"
    shown = "—" if value is None else _show(value)
    return (f'<div class="{cls}" data-path="{e(path)}" tabindex="-1"><span class="name">{e(path)}</span>'
            f'<span class="value">{e(shown)}</span><span class="badge">{e(badge)}</span>{_findings(flags)}</div>')


def _add_row(path: str, label: str) -> str:
    return (f'<div class="field add empty" data-path="{e(path)}" tabindex="-1"><span class="name">{e(label)}</span>'
            '</div>')


@lru_cache(maxsize=1)
def schema_kinds() -> dict[str, Any]:
    """What the input of every field must offer, keyed by path pattern (`arms[0].type`): sent once
    per page, the script looks a field's kind up by its path with indices made 0."""
    patterns: list[str] = []
    for name, spec in TrialRecord.model_fields.items():
        patterns.append(name)
        info = json.loads(_info(name))
        if info["kind"] == "list":
            patterns.append(f"{name}[0]")
        elif info["kind"] == "objects":
            item = json.loads(_info(f"{name}[0]"))
            for sub in item.get("fields", []):
                patterns.append(f"{name}[0].{sub}")
                if json.loads(_info(f"{name}[0].{sub}"))["kind"] == "list":
                    patterns.append(f"{name}[0].{sub}[0]")
    return {p: json.loads(_info(p)) for p in patterns}


def _placed(state: DocumentState) -> tuple[dict[str, list[Issue]], list[Issue]]:
    """Findings by the field row they sit beside (an object's finding beside its first field), and
    those naming no filled field (shown at the top)."""
    by_path: dict[str, list[Issue]] = {}
    loose: list[Issue] = []
    values = state.values()
    first_under: dict[str, str] = {}  # "arms[1]" / "arms" -> the first filled path under it
    for v in values:
        for cut in (m.start() for m in re.finditer(r"[.\[]", v)):
            first_under.setdefault(v[:cut], v)
    for issue in state.issues:
        placed = False
        for p in issue.paths:
            target = p if p in values else first_under.get(p)
            if target is not None:
                by_path.setdefault(target, []).append(issue)
                placed = True
        if not placed:
            loose.append(issue)
    return by_path, loose


def _group_rows(state: DocumentState, name: str, value: list[Any], by_path: Mapping[str, list[Issue]],
                classes: Mapping[str, str]) -> str:
    rows: list[str] = []
    for i, item in enumerate(value):
        if isinstance(item, BaseModel):
            fields = _fields(item)
            lists = [k for k, v in fields.items() if isinstance(v, list)]
            sub = "".join(_row(state, f"{name}[{i}].{k}", _item(v), by_path, classes)
                          for k, v in fields.items() if k not in lists)
            sub += "".join(_row(state, f"{name}[{i}].{k}[{j}]", v, by_path, classes)
                           for k in lists for j, v in enumerate(fields[k]))
            sub += "".join(_add_row(f"{name}[{i}].{k}[{len(fields[k])}]", f"+ {k}") for k in lists)
            rows.append(f'<div class="item"{attr("data-path", f"{name}[{i}]")}>'
                        f'<div class="item-head">{e(name)}[{i}]<button type="button" class="remove-item">'
                        f'remove</button></div>{sub}</div>')
        else:
            rows.append(_row(state, f"{name}[{i}]", item, by_path, classes))
    kind = json.loads(_info(f"{name}[0]"))
    first = next(iter(kind.get("fields", [])), None) if kind["kind"] == "object" else None
    rows.append(_add_row(f"{name}[{len(value)}].{first}" if first else f"{name}[{len(value)}]", f"+ add to {name}"))
    return "".join(rows)


def group_rows(state: DocumentState, name: str) -> str | None:
    """The rows of one list field (a folded group's content, fetched when it is opened)."""
    record = state.record
    value = _fields(record).get(name) if record is not None else None
    if not isinstance(value, list):
        return None
    by_path, _ = _placed(state)
    classes = _classes(state)
    return _group_rows(state, name, value, by_path, classes)


def _classes(state: DocumentState) -> dict[str, str]:
    return {p: mark_class(ev, state.provenance.get(p), p in state.edited) for p, ev in state.evidence.items()}


def _record_panel(state: DocumentState, classes: Mapping[str, str]) -> str:
    """Field by field; a list longer than FOLD_AFTER is a folded group whose rows the script fetches
    when it is opened (a page of 2,000 sites sends 2,000 marks, not 10,000 rows)."""
    record = state.record or TrialRecord()
    by_path, loose = _placed(state)
    groups = []
    for name, value in _fields(record).items():
        if not isinstance(value, list):
            groups.append(_row(state, name, value, by_path, classes))
            continue
        flagged = sum(1 for p in by_path if p.startswith(name + "["))
        note = f", {flagged} flagged" if flagged else ""
        head = f'<summary>{e(name)} <span class="muted">({len(value)}{note})</span></summary>'
        if len(value) > FOLD_AFTER:
            groups.append(f'<details class="group" data-field="{e(name)}" data-lazy="1">{head}</details>')
        else:
            groups.append(f'<details class="group" data-field="{e(name)}" open>{head}'
                          f'{_group_rows(state, name, value, by_path, classes)}</details>')
    return f'<div class="doc-findings">{_findings(loose)}</div>' + "".join(groups)


def first_flagged(state: DocumentState) -> str | None:
    """The first field, in record order, that a finding names."""
    by_path, _ = _placed(state)
    return next((p for p in state.values() if p in by_path), None)


def _fields(model: BaseModel) -> dict[str, Any]:
    """A model's fields by name, in schema order (the schema's own field list, not attribute probing)."""
    return {name: model.__dict__[name] for name in type(model).model_fields}


def _item(value: Any) -> Any:
    return None if value == "" else value


def document_page(state: DocumentState, job: JobSummary, who: str, *, prev_doc: str | None, next_doc: str | None) -> str:
    jid = quote(job.id, safe="")
    did = quote(state.doc_id, safe="")
    api = f"/review/api/jobs/{jid}/{did}"
    classes = _classes(state)
    nav = (f'<a href="/review/jobs/{jid}">queue</a>'
           + (f' · <a rel="prev" href="{e(doc_url(job.id, prev_doc))}">previous</a>' if prev_doc else "")
           + (f' · <a rel="next" id="next-doc" href="{e(doc_url(job.id, next_doc))}">next (n)</a>' if next_doc else ""))
    reviewed = state.reviewed_by
    status = (f'<span class="reviewed-by">reviewed by {e(reviewed[0])}</span>' if reviewed
              else '<span class="reviewed-by"></span>')
    head = (f'<header class="doc-head"><h1>{e(state.doc_id)}</h1><span class="muted">{e(state.source)}'
            f'{" · " + e(state.backend) if state.backend else ""}</span><span class="nav">{nav}</span>'
            f'<span class="tools"><button type="button" id="undo">undo</button> '
            f'<button type="button" id="mark-reviewed">{"unmark reviewed" if reviewed else "mark reviewed"}</button>'
            f' {status}</span><p id="message" role="status"></p></header>')
    if state.error is not None:
        body = (f'<main>{head}<p class="error">This document has no record: <b>{e(state.error.get("code"))}</b> '
                f'{e(state.error.get("message"))}</p><pre class="page-text">{e(state.text)}</pre></main>')
        return shell(f"{state.doc_id} - trialx review", body, who=who)
    stale = f'<p class="error">{e(state.stale)}</p>' if state.stale else ""
    text = highlighted_text(state.text, state.evidence, classes)
    data = {"api": api, "job": job.id, "doc": state.doc_id, "next": doc_url(job.id, next_doc) if next_doc else None,
            "kinds": schema_kinds(), "flagged": first_flagged(state),
            "groups": f"/review/api/group/{jid}/{did}?name=",
            "reviewed": reviewed is not None}
    body = (f'<main class="doc">{head}{stale}<div class="split"><section id="page-text" class="page-text" '
            f'aria-label="page text">{text}</section><section id="record" aria-label="record">'
            f'{_record_panel(state, classes)}</section></div>'
            '<div id="editor" hidden></div></main>' + json_script("review-data", data))
    return shell(f"{state.doc_id} - trialx review", body, who=who, script=True)
