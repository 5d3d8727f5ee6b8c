"""Field-aware scoring of a predicted TrialRecord against its gold record.

The comparator of each field is derived from the schema's field types (`TrialRecord.model_fields`
and the nested models), so a new field gets the right comparator without new code:

- exact     IDs (a `*_id` name or a `pattern` constraint), enums, booleans, counts, ages
- date      a PartialDate: compared at the precision both sides state (2025-02 vs 2025-02-28 is
            correct at month precision)
- text      short text, normalized (case, whitespace, punctuation, markdown escapes like ``\\>``)
            and fuzzy-matched with rapidfuzz at `text_threshold` (0-100): score 1 or 0
- long_text summaries/descriptions (by field name) or any text whose gold is longer than
            `long_text_chars`: token F1 as the score; "correct" at F1 >= `long_text_correct`
- text_list lists of strings: aligned one-to-one (Hungarian assignment on rapidfuzz similarity);
            a pair at or above `text_threshold` is a match; the score is the F1
- exact_list lists of enums (phases): multiset overlap, scored by F1
- objects   lists of models: aligned by their key field (arm label, intervention name, outcome
            measure, location facility, contact name), each matched pair scored on its sub-fields
            (mean of the sub-field scores); true positives = the sum of the pair scores

Categories of one field of one document (fields empty on both sides are not scored at all):
- correct  the score is 1 (long text: F1 >= long_text_correct; lists: F1 == 1)
- missing  gold has a value, the prediction is empty (score 0)
- extra    the prediction has a value, gold is empty (score 0)
- wrong    both have values and it is not correct (score in [0, 1); lists: the F1)
- error    the scorer itself failed on this document (score 0, reason says why); the run goes on

Aggregated counts (see `evals.stats.summarize`): for a field, `n` is the number of documents in
which that field was scored, and n = correct + wrong + missing + extra + error. The field score is
the mean of its per-document scores over those n documents; a document's score is the mean over
its scored fields; the overall score is the mean over every scored (document, field) cell.
"""

from __future__ import annotations

import re
import types
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any, Literal, Mapping, Union, get_args, get_origin

import numpy as np
from pydantic import BaseModel
from rapidfuzz import fuzz, process

from extractor.schema import TrialRecord

Status = Literal["correct", "wrong", "missing", "extra", "error"]
Kind = Literal["exact", "date", "text", "long_text", "text_list", "exact_list", "objects"]
STATUSES: tuple[Status, ...] = ("correct", "wrong", "missing", "extra", "error")

# Key field of a nested model, by preference; else its first required text field.
KEY_FIELDS = ("label", "name", "measure", "facility", "title")
LONG_TEXT_NAMES = ("summary", "description")


@dataclass(frozen=True)
class ScoringConfig:
    text_threshold: float = 90.0  # rapidfuzz ratio (0-100) at which short texts match
    long_text_chars: int = 300  # gold text longer than this is scored by token F1
    long_text_correct: float = 0.8  # token F1 at which a long text counts as correct


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    key: str | None = None
    sub: tuple[FieldSpec, ...] = ()


@dataclass(frozen=True)
class FieldScore:
    """One field of one document: the score, its category and why."""

    score: float
    status: Status
    reason: str
    detail: dict[str, Any] | None = None


@dataclass
class DocumentScore:
    id: str
    fields: dict[str, FieldScore] = field(default_factory=dict)
    error: str | None = None  # the extraction failed for this document (its code and message)

    @property
    def score(self) -> float | None:
        if not self.fields:
            return None
        return sum(f.score for f in self.fields.values()) / len(self.fields)


# ---------------------------------------------------------------- schema introspection


def _strip_optional(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _strip_optional(args[0])
    if hasattr(annotation, "__metadata__"):  # Annotated[X, ...]
        return _strip_optional(get_args(annotation)[0])
    return annotation


def _has_pattern(metadata: list[Any], annotation: Any = None) -> str | None:
    """A `pattern` constraint on the field or anywhere inside its (Optional/Annotated) type."""
    items = list(metadata)
    stack = [annotation]
    while stack:
        tp = stack.pop()
        if hasattr(tp, "__metadata__"):
            items.extend(tp.__metadata__)
        if get_origin(tp) in (Union, types.UnionType) or hasattr(tp, "__metadata__"):
            stack.extend(get_args(tp))
    for item in items:
        pattern = getattr(item, "pattern", None)
        if isinstance(pattern, str):
            return pattern
        nested = getattr(item, "metadata", None)
        if isinstance(nested, list):
            found = _has_pattern(nested)
            if found:
                return found
    return None


def _classify(name: str, annotation: Any, metadata: list[Any]) -> FieldSpec:
    tp = _strip_optional(annotation)
    if get_origin(tp) is list:
        item = _strip_optional(get_args(tp)[0])
        if isinstance(item, type) and issubclass(item, BaseModel):
            sub = tuple(_classify(n, f.annotation, list(f.metadata)) for n, f in item.model_fields.items())
            return FieldSpec(name, "objects", key=_key_field(item), sub=sub)
        if isinstance(item, type) and issubclass(item, Enum):
            return FieldSpec(name, "exact_list")
        return FieldSpec(name, "text_list")
    if isinstance(tp, type) and issubclass(tp, (Enum, bool, int, float)):
        return FieldSpec(name, "exact")
    pattern = _has_pattern(metadata, annotation)
    if name.endswith("_date") or (pattern is not None and pattern.startswith(r"^\d{4}")):
        return FieldSpec(name, "date")
    if pattern is not None or name.endswith("_id") or name in ("email", "phone"):
        return FieldSpec(name, "exact")
    if any(word in name for word in LONG_TEXT_NAMES):
        return FieldSpec(name, "long_text")
    return FieldSpec(name, "text")


def _key_field(model: type[BaseModel]) -> str:
    names = list(model.model_fields)
    for key in KEY_FIELDS:
        if key in names:
            return key
    for n, f in model.model_fields.items():
        if f.is_required() and _strip_optional(f.annotation) is str:
            return n
    return names[0]


@lru_cache(maxsize=8)
def field_specs(model: type[BaseModel] = TrialRecord) -> tuple[FieldSpec, ...]:
    """The comparator of every top-level field of `model`, derived from its type."""
    return tuple(_classify(n, f.annotation, list(f.metadata)) for n, f in model.model_fields.items())


# ---------------------------------------------------------------- normalization helpers

_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~=])")
_NON_WORD = re.compile(r"[^\w]+")


def normalize_text(value: Any) -> str:
    """Case, whitespace, punctuation and markdown escapes folded away: what a reader ignores."""
    text = unicodedata.normalize("NFKC", str(value))
    text = _MD_ESCAPE.sub(r"\1", text).lower()
    return " ".join(_NON_WORD.sub(" ", text).split())


def is_empty(value: Any) -> bool:
    return value is None or value == [] or value == {} or (isinstance(value, str) and not value.strip())


def _scalar(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def show(value: Any, limit: int = 60) -> str:
    text = repr(_scalar(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def token_f1(gold: str, pred: str) -> float:
    g = Counter(normalize_text(gold).split())
    p = Counter(normalize_text(pred).split())
    overlap = sum((g & p).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def _f1(tp: float, n_gold: int, n_pred: int) -> tuple[float, float, float]:
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# ---------------------------------------------------------------- scorers (both sides non-empty)


def _score_exact(gold: Any, pred: Any, cfg: ScoringConfig) -> FieldScore:
    g, p = _scalar(gold), _scalar(pred)
    if isinstance(g, str) and isinstance(p, str):
        ok = g.strip().upper() == p.strip().upper()
    else:
        ok = g == p and type(g) is type(p)
    if ok:
        return FieldScore(1.0, "correct", "equal")
    return FieldScore(0.0, "wrong", f"gold {show(gold)}, predicted {show(pred)}")


_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
_PRECISION = ("year", "month", "day")


def _score_date(gold: Any, pred: Any, cfg: ScoringConfig) -> FieldScore:
    gm, pm = _DATE.match(str(gold)), _DATE.match(str(pred))
    if gm is None or pm is None:
        raise ValueError(f"not a partial date: gold {gold!r}, predicted {pred!r}")
    g = [x for x in gm.groups() if x]
    p = [x for x in pm.groups() if x]
    depth = min(len(g), len(p))
    precision = _PRECISION[depth - 1]
    if g[:depth] == p[:depth]:
        return FieldScore(1.0, "correct", f"equal at {precision} precision")
    return FieldScore(0.0, "wrong", f"gold {gold}, predicted {pred} differ at {precision} precision")


def _score_text(gold: Any, pred: Any, cfg: ScoringConfig) -> FieldScore:
    if gold == pred:
        return FieldScore(1.0, "correct", "equal")
    if len(str(gold)) > cfg.long_text_chars:
        return _score_long_text(gold, pred, cfg)
    g, p = normalize_text(gold), normalize_text(pred)
    if g == p:
        return FieldScore(1.0, "correct", "equal after normalization")
    sim = fuzz.ratio(g, p)
    if sim >= cfg.text_threshold:
        return FieldScore(1.0, "correct", f"similar ({sim:.0f} >= {cfg.text_threshold:.0f})")
    return FieldScore(0.0, "wrong", f"similarity {sim:.0f} < {cfg.text_threshold:.0f}: gold {show(gold)}, predicted {show(pred)}")


def _score_long_text(gold: Any, pred: Any, cfg: ScoringConfig) -> FieldScore:
    if gold == pred:
        return FieldScore(1.0, "correct", "equal")
    f1 = token_f1(str(gold), str(pred))
    status: Status = "correct" if f1 >= cfg.long_text_correct else "wrong"
    return FieldScore(f1, status, f"token F1 {f1:.2f}")


def _list_result(tp: float, gold: list[Any], pred: list[Any], what: str, detail: dict[str, Any]) -> FieldScore:
    precision, recall, f1 = _f1(tp, len(gold), len(pred))
    detail.update(precision=precision, recall=recall, f1=f1)
    status: Status = "correct" if abs(f1 - 1.0) < 1e-9 else "wrong"
    reason = (f"{what}: precision {precision:.2f} ({tp:g}/{len(pred)}), "
              f"recall {recall:.2f} ({tp:g}/{len(gold)}), F1 {f1:.2f}")
    return FieldScore(f1, status, reason, detail)


def _score_exact_list(gold: list[Any], pred: list[Any], cfg: ScoringConfig) -> FieldScore:
    g = Counter(str(_scalar(x)) for x in gold)
    p = Counter(str(_scalar(x)) for x in pred)
    tp = sum((g & p).values())
    return _list_result(float(tp), gold, pred, "items", {})


def align(gold_keys: list[str], pred_keys: list[str], threshold: float) -> list[tuple[int, int, float]]:
    """One-to-one pairs (gold index, predicted index, similarity) at or above `threshold`.

    Equal normalized keys pair first (the fast path); the rest by the Hungarian assignment on
    rapidfuzz's similarity matrix.
    """
    g = [normalize_text(k) for k in gold_keys]
    p = [normalize_text(k) for k in pred_keys]
    pairs: list[tuple[int, int, float]] = []
    free_p: dict[str, list[int]] = {}
    for j, key in enumerate(p):
        free_p.setdefault(key, []).append(j)
    rest_g: list[int] = []
    for i, key in enumerate(g):
        slots = free_p.get(key)
        if slots:
            pairs.append((i, slots.pop(0), 100.0))
        else:
            rest_g.append(i)
    rest_p = sorted(j for slots in free_p.values() for j in slots)
    if rest_g and rest_p:
        sim = process.cdist([g[i] for i in rest_g], [p[j] for j in rest_p], scorer=fuzz.ratio, dtype=np.float32)
        from scipy.optimize import linear_sum_assignment  # here: scipy costs ~1 s at every start-up

        rows, cols = linear_sum_assignment(sim, maximize=True)
        for r, c in zip(rows, cols):
            if sim[r, c] >= threshold:
                pairs.append((rest_g[r], rest_p[c], float(sim[r, c])))
    return sorted(pairs)


def _score_text_list(gold: list[Any], pred: list[Any], cfg: ScoringConfig) -> FieldScore:
    if gold == pred:
        return _list_result(float(len(gold)), gold, pred, "items", {"pairs": [(i, i, 100.0) for i in range(len(gold))]})
    pairs = align([str(x) for x in gold], [str(x) for x in pred], cfg.text_threshold)
    return _list_result(float(len(pairs)), gold, pred, "items", {"pairs": pairs})


def object_key(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not is_empty(value):
        return str(value)
    return " ".join(str(_scalar(v)) for v in obj.values() if isinstance(v, (str, Enum)))


def _score_objects(gold: list[Any], pred: list[Any], cfg: ScoringConfig, spec: FieldSpec) -> FieldScore:
    key = spec.key or ""
    pairs = align([object_key(o, key) for o in gold], [object_key(o, key) for o in pred], cfg.text_threshold)
    tp = 0.0
    matched: list[dict[str, Any]] = []
    for gi, pj, sim in pairs:
        subs = {}
        for sub in spec.sub:
            s = score_value(sub, gold[gi].get(sub.name), pred[pj].get(sub.name), cfg)
            if s is not None:
                subs[sub.name] = s
        pair_score = sum(s.score for s in subs.values()) / len(subs) if subs else 1.0
        tp += pair_score
        matched.append({"gold": gi, "pred": pj, "score": pair_score,
                        "wrong": {n: s.reason for n, s in subs.items() if s.status != "correct"}})
    return _list_result(tp, gold, pred, f"{spec.key}-aligned items", {"pairs": matched})


def score_value(spec: FieldSpec, gold: Any, pred: Any, cfg: ScoringConfig | None = None) -> FieldScore | None:
    """Score one field value; None when both sides are empty (not scored)."""
    cfg = cfg or ScoringConfig()
    g_empty, p_empty = is_empty(gold), is_empty(pred)
    if g_empty and p_empty:
        return None
    if p_empty:
        return FieldScore(0.0, "missing", f"gold {show(gold)}, prediction empty")
    if g_empty:
        return FieldScore(0.0, "extra", f"gold empty, predicted {show(pred)}")
    try:
        if spec.kind == "exact":
            return _score_exact(gold, pred, cfg)
        if spec.kind == "date":
            return _score_date(gold, pred, cfg)
        if spec.kind == "text":
            return _score_text(gold, pred, cfg)
        if spec.kind == "long_text":
            return _score_long_text(gold, pred, cfg)
        if not isinstance(gold, list) or not isinstance(pred, list):
            raise TypeError(f"expected lists, got {type(gold).__name__} and {type(pred).__name__}")
        if spec.kind == "exact_list":
            return _score_exact_list(gold, pred, cfg)
        if spec.kind == "text_list":
            return _score_text_list(gold, pred, cfg)
        return _score_objects(gold, pred, cfg, spec)
    except Exception as exc:  # noqa: BLE001 - one bad value must not stop the run
        return FieldScore(0.0, "error", f"scorer failed: {type(exc).__name__}: {exc}")


def score_document(
    doc_id: str,
    gold: Mapping[str, Any],
    pred: Mapping[str, Any] | None,
    *,
    error: str | None = None,
    config: ScoringConfig | None = None,
    specs: tuple[FieldSpec, ...] | None = None,
) -> DocumentScore:
    """Score every field of one document. `pred` None: the extraction failed (`error` says how)."""
    cfg = config or ScoringConfig()
    result = DocumentScore(doc_id, error=error)
    for spec in specs or field_specs():
        g = gold.get(spec.name)
        if pred is None:
            if not is_empty(g):
                result.fields[spec.name] = FieldScore(0.0, "missing", f"no prediction ({error or 'extraction failed'})")
            continue
        try:
            s = score_value(spec, g, pred.get(spec.name), cfg)
        except Exception as exc:  # noqa: BLE001
            s = FieldScore(0.0, "error", f"scorer failed: {type(exc).__name__}: {exc}")
        if s is not None:
            result.fields[spec.name] = s
    return result


def record_dict(record: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    """A record as plain JSON values (enums as strings), the form every scorer reads."""
    if isinstance(record, BaseModel):
        return record.model_dump(mode="json")
    return dict(record)
