"""Corrections to a record: one Edit names a field path, its old and new value and, optionally,
the span of the page that is its evidence; `apply_edits` refuses what the schema refuses."""

from __future__ import annotations

import re
import types
import typing
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError

from extractor.schema import TrialRecord

__all__ = ["Edit", "EditError", "apply_edits", "field_info", "parse_path", "path_text", "value_at"]

_PATH_RE = re.compile(r"^[a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)?$")
_TOKEN_RE = re.compile(r"([a-z_]+)|\[(\d+)\]")
Step = str | int


class Edit(BaseModel):
    """One change: `set` a value (a new list item when the index is the list's length), `remove` a
    list item or clear a field, or `accept` the value as it stands (no change, the findings resolved)."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["set", "remove", "accept"] = "set"
    path: str
    old: Any = None
    new: Any = None
    start: int | None = None  # the page span a person selected as the value's evidence
    end: int | None = None


class EditError(ValueError):
    """An edit the schema (or the path grammar) refuses; `message` is the schema's own words."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


def parse_path(path: str) -> list[Step]:
    """`arms[1].label` -> ["arms", 1, "label"]; EditError for anything else."""
    if not _PATH_RE.match(path):
        raise EditError(path, "not a field path (expected e.g. 'enrollment', 'conditions[0]', 'arms[1].label')")
    steps: list[Step] = []
    for name, index in _TOKEN_RE.findall(path):
        steps.append(int(index) if index else name)
    return steps


def path_text(loc: tuple[Any, ...] | list[Any]) -> str:
    """A pydantic error location as a field path: ("arms", 1, "label") -> arms[1].label."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _unwrap(annotation: Any) -> Any:
    """The type under Optional/Annotated wrappers."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def field_info(path: str) -> dict[str, Any]:
    """What an input for `path` must offer: kind (text, long, int, bool, date, age, enum, list,
    object) and, for enums, the choices. EditError for a path the schema does not have."""
    model: type[BaseModel] = TrialRecord
    annotation: Any = None
    steps = parse_path(path)
    for n, step in enumerate(steps):
        if isinstance(step, int):
            annotation = _unwrap(get_args(annotation)[0]) if get_origin(annotation) is list else annotation
            continue
        fields = model.model_fields
        if step not in fields:
            raise EditError(path, f"no field {step!r} in {model.__name__}")
        annotation = _unwrap(fields[step].annotation)
        if get_origin(annotation) is list:
            item = _unwrap(get_args(annotation)[0])
            if isinstance(item, type) and issubclass(item, BaseModel):
                model = item
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    last = steps[-1]
    if get_origin(annotation) is list:
        item = _unwrap(get_args(annotation)[0])
        kind = "objects" if isinstance(item, type) and issubclass(item, BaseModel) else "list"
        return {"kind": kind, "item": _kind(item)} if kind == "list" else {"kind": kind}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {"kind": "object", "fields": list(annotation.model_fields)}
    info = _kind(annotation)
    name = last if isinstance(last, str) else str(steps[-2])
    if info["kind"] == "text" and name.endswith("_date"):
        info["kind"] = "date"
    elif info["kind"] == "text" and name.endswith("_age"):
        info["kind"] = "age"
    elif info["kind"] == "text" and name in ("brief_summary", "detailed_description", "description"):
        info["kind"] = "long"
    return info


def _kind(annotation: Any) -> dict[str, Any]:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return {"kind": "enum", "choices": [m.value for m in annotation]}
    if annotation is bool:
        return {"kind": "bool"}
    if annotation is int:
        return {"kind": "int"}
    return {"kind": "text"}


def value_at(data: Any, steps: list[Step]) -> Any:
    """The JSON value at a parsed path, or None when it is not there."""
    for step in steps:
        if isinstance(step, int):
            if not isinstance(data, list) or step >= len(data):
                return None
        elif not isinstance(data, dict):
            return None
        data = data[step] if isinstance(step, int) else data.get(step)
    return data


def _apply(data: dict[str, Any], edit: Edit) -> None:
    steps = parse_path(edit.path)
    field_info(edit.path)  # unknown fields are refused by name
    parent: Any = data
    for n, step in enumerate(steps[:-1]):
        nxt = steps[n + 1]
        child = parent[step] if isinstance(step, int) and step < len(parent) else (
            parent.get(step) if isinstance(parent, dict) else None)
        if child is None:
            child = [] if isinstance(nxt, int) else {}
            if isinstance(step, int):
                if step != len(parent):
                    raise EditError(edit.path, f"no item {step} (the list has {len(parent)})")
                parent.append(child)
            else:
                parent[step] = child
        parent = child
    last = steps[-1]
    if isinstance(last, int):
        if not isinstance(parent, list):
            raise EditError(edit.path, "not a list")
        if edit.op == "remove":
            if last >= len(parent):
                raise EditError(edit.path, f"no item {last} (the list has {len(parent)})")
            del parent[last]
        elif last == len(parent):
            parent.append(edit.new)
        elif last < len(parent):
            parent[last] = edit.new
        else:
            raise EditError(edit.path, f"no item {last} (the list has {len(parent)})")
    elif edit.op == "remove":
        parent[last] = [] if isinstance(parent.get(last), list) else None
    else:
        parent[last] = edit.new


def apply_edits(record: TrialRecord, edits: typing.Iterable[Edit]) -> TrialRecord:
    """`record` with `edits` applied in order, validated as a TrialRecord after each one; the first
    edit the schema refuses raises EditError naming its field with the schema's message."""
    data = record.model_dump(mode="json")
    for edit in edits:
        if edit.op == "accept":
            continue
        _apply(data, edit)
        try:
            record = TrialRecord.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = path_text(first["loc"]) or edit.path
            raise EditError(where, first["msg"]) from None
        data = record.model_dump(mode="json")
    return record
