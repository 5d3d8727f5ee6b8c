"""Run directories: gold loading, predictions.jsonl, run info (tokens, cost, hashes), scores.json.

A run directory holds `predictions.jsonl` (the extract lines), `run.json` (how they were made),
`scores.json` and `report.html`. Generation (`generate_run`) and scoring (`score_run`) are
separate: scoring reads only files and never calls a model.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evals.scoring import DocumentScore, ScoringConfig, field_specs, record_dict, score_document
from evals.stats import summarize
from extractor.home import trialx_home  # one home for the cache and the runs (spec/cli.md)
from evals.report import write_run_report
from extractor import Settings, extract_documents, load_documents, resolve_backend
from extractor.errors import ConfigError, GoldError
from extractor.schema import TrialRecord

ROOT = Path(__file__).resolve().parent.parent
PREDICTIONS = "predictions.jsonl"
SCORES = "scores.json"
RUN_INFO = "run.json"
REPORT = "report.html"
IDS_FILE = "ids.json"  # in a gold directory: file name -> document id, where they differ
PRICES_ENV = "TRIALX_PRICES"


def new_run_dir(base: Path | None = None) -> Path:
    """A fresh directory under $TRIALX_HOME/runs named by the UTC time (never the cwd)."""
    runs = base or trialx_home() / "runs"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path, n = runs / stamp, 1
    while path.exists():
        n += 1
        path = runs / f"{stamp}-{n}"
    return path


# ---------------------------------------------------------------- gold


@dataclass
class Gold:
    dir: Path
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> record (JSON values)
    sources: dict[str, Path] = field(default_factory=dict)


def load_gold(gold_dir: str | Path) -> Gold:
    """Read `records/<id>.json` (validated as TrialRecords) and locate `sources/<id>.txt`."""
    root = Path(gold_dir)
    records_dir = root / "records"
    files = sorted(records_dir.glob("*.json")) if records_dir.is_dir() else []
    if not files:
        raise GoldError(f"no gold found in {root} (expected {root}/records/<id>.json and {root}/sources/<id>.txt); "
                        "pass --gold DIR")
    gold = Gold(root)
    ids = _gold_ids(root)
    for path in files:
        doc_id = ids.get(path.stem, path.stem)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            gold.records[doc_id] = record_dict(TrialRecord.model_validate(data))
        except (OSError, ValueError, ValidationError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise GoldError(f"gold record {path} is invalid: {first}") from None
        for ext in (".txt", ".md", ".html"):
            source = root / "sources" / f"{path.stem}{ext}"
            if source.is_file():
                gold.sources[doc_id] = source
                break
    return gold


def _gold_ids(root: Path) -> dict[str, str]:
    """`ids.json`: file name -> document id, for ids that are not safe file names ("site/001")."""
    path = root / IDS_FILE
    if not path.is_file():
        return {}
    try:
        ids = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GoldError(f"{path} is invalid: {exc}") from None
    if not isinstance(ids, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in ids.items()):
        raise GoldError(f"{path} must map file names to document ids")
    return ids


# ---------------------------------------------------------------- predictions


def write_predictions(run_dir: Path, lines: Iterable[Mapping[str, Any]]) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / PREDICTIONS
    with path.open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return path


def read_predictions(run_dir: str | Path) -> dict[str, dict[str, Any]]:
    """id -> extract line, in file order. A missing file is a usage error (exit 2)."""
    path = Path(run_dir) / PREDICTIONS
    if not path.is_file():
        raise ConfigError(f"{path} not found: is {run_dir} a run directory made by 'trialx eval'?")
    out: dict[str, dict[str, Any]] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            out[f"<line {n}>"] = {"id": f"<line {n}>", "error": {"code": "BAD_LINE", "message": "not JSON"}}
            continue
        out[str(line.get("id", f"<line {n}>"))] = line
    return out


def prediction_record(line: Mapping[str, Any] | None) -> tuple[dict[str, Any] | None, str | None]:
    """The predicted record of a line as JSON values, or None and why there is none."""
    if line is None:
        return None, "NO_PREDICTION: no line for this document"
    if "error" in line and "record" not in line:
        err = line.get("error") or {}
        return None, f"{err.get('code', 'ERROR')}: {err.get('message', '')}".strip()
    raw = line.get("record")
    if not isinstance(raw, Mapping):
        return None, "NO_RECORD: the line has no record"
    try:
        return record_dict(TrialRecord.model_validate(raw)), None
    except ValidationError:
        return dict(raw), None  # score what is there; scorers report per-field failures


def score_predictions(
    gold: Gold, predictions: Mapping[str, Mapping[str, Any]], config: ScoringConfig | None = None
) -> list[DocumentScore]:
    specs = field_specs()
    docs = []
    for doc_id, gold_record in gold.records.items():
        pred, error = prediction_record(predictions.get(doc_id))
        docs.append(score_document(doc_id, gold_record, pred, error=error, config=config, specs=specs))
    return docs


# ---------------------------------------------------------------- run info and cost


def load_prices(path: str | Path | None = None) -> dict[str, dict[str, float]]:
    """Per-model USD per 1M tokens: {"MODEL": {"input": 0.15, "output": 0.6}}.

    From `path`, else the file named by $TRIALX_PRICES, else empty (every cost is null).
    """
    source = path or os.environ.get(PRICES_ENV)
    if not source:
        return {}
    try:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the price table {source}: {exc}") from None
    if not isinstance(data, dict) or not all(
        isinstance(v, dict) and {"input", "output"} <= set(v) for v in data.values()
    ):
        raise ConfigError(f'price table {source} must map each model to {{"input": USD, "output": USD}} per 1M tokens')
    return {str(k): {name: float(price) for name, price in v.items() if name in PRICE_KEYS} for k, v in data.items()}


# A model's entry may give its batch prices ("batch_input", "batch_output"); else batch is half price.
PRICE_KEYS = ("input", "output", "batch_input", "batch_output")
BATCH_DISCOUNT = 0.5


def batch_cost_usd(model: str | None, tokens: Mapping[str, Mapping[str, int]],
                   prices: Mapping[str, Mapping[str, float]]) -> float | None:
    """Cost of {"batch": {input, output}, "realtime": {input, output}} tokens, each at its own price."""
    if model is None or model not in prices:
        return None
    p = prices[model]
    b, r = tokens.get("batch", {}), tokens.get("realtime", {})
    cost = (b.get("input", 0) * p.get("batch_input", p["input"] * BATCH_DISCOUNT)
            + b.get("output", 0) * p.get("batch_output", p["output"] * BATCH_DISCOUNT)
            + r.get("input", 0) * p["input"] + r.get("output", 0) * p["output"])
    return round(cost / 1e6, 6)


def cost_usd(model: str | None, input_tokens: int, output_tokens: int, prices: Mapping[str, Mapping[str, float]]) -> float | None:
    if model is None or model not in prices:
        return None
    p = prices[model]
    return round((input_tokens * p["input"] + output_tokens * p["output"]) / 1e6, 6)


def schema_hash() -> str:
    text = json.dumps(TrialRecord.model_json_schema(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _most_common(values: Iterable[Any]) -> Any:
    counts = Counter(v for v in values if v is not None)
    return counts.most_common(1)[0][0] if counts else None


def run_info(
    predictions: Mapping[str, Mapping[str, Any]],
    *,
    prices: Mapping[str, Mapping[str, float]] | None = None,
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What made the predictions: backend, model, prompt, hashes, tokens, cost, cache hits."""
    info: dict[str, Any] = dict(base or {})
    lines = [p for p in predictions.values() if "record" in p]
    usages = [p.get("usage") or {} for p in lines]
    tokens_in = sum(int(u.get("input_tokens") or 0) for u in usages)
    tokens_out = sum(int(u.get("output_tokens") or 0) for u in usages)
    model = info.get("model") or _most_common(u.get("model") for u in usages)
    info.update(
        backend=info.get("backend") or _most_common(p.get("backend") for p in lines),
        model=model,
        prompt_version=info.get("prompt_version") or _most_common(u.get("prompt_version") for u in usages),
        prompt_hash=_most_common(u.get("prompt_hash") for u in usages),
        schema_hash=schema_hash(),
        git_commit=info.get("git_commit") or git_commit(),
        tokens={"input": tokens_in, "output": tokens_out},
        requests=sum(int(u.get("requests") or 0) for u in usages),
        cost_usd=batch_cost_usd(model, _tokens_by_price(usages), prices or {}),
        cache_hits=sum(1 for u in usages if u.get("cache_hit")),
        documents=len(predictions),
        failed=sum(1 for p in predictions.values() if "record" not in p),
    )
    info.setdefault("started", None)
    info.setdefault("duration_s", None)
    return info


def _tokens_by_price(usages: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Tokens answered by a batch engine (usage.batch) apart from real-time ones: they cost less."""
    out = {"batch": {"input": 0, "output": 0}, "realtime": {"input": 0, "output": 0}}
    for u in usages:
        bucket = out["batch" if u.get("batch") else "realtime"]
        bucket["input"] += int(u.get("input_tokens") or 0)
        bucket["output"] += int(u.get("output_tokens") or 0)
    return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_run_info(run_dir: str | Path) -> dict[str, Any]:
    run_dir = Path(run_dir)
    info = _read_json(run_dir / RUN_INFO)
    return info or _read_json(run_dir / SCORES).get("run", {})


def read_scores(run_dir: str | Path) -> dict[str, Any]:
    path = Path(run_dir) / SCORES
    if not path.is_file():
        raise ConfigError(f"{path} not found: run 'trialx score {run_dir}' first")
    return _read_json(path)


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)


@dataclass
class ScoredRun:
    dir: Path
    gold: Gold
    predictions: dict[str, dict[str, Any]]
    documents: list[DocumentScore]
    scores: dict[str, Any]


def score_run(
    run_dir: str | Path,
    gold_dir: str | Path | None = None,
    *,
    prices: Mapping[str, Mapping[str, float]] | None = None,
    config: ScoringConfig | None = None,
    write: bool = True,
) -> ScoredRun:
    """Score the predictions saved in `run_dir` (no model call) and write scores.json + report."""
    run_dir = Path(run_dir)
    predictions = read_predictions(run_dir)
    base = read_run_info(run_dir)
    gold_path = Path(gold_dir) if gold_dir else Path(base["gold"]) if base.get("gold") else ROOT / "gold"
    gold = load_gold(gold_path)
    docs = score_predictions(gold, predictions, config)
    info = run_info(predictions, prices=prices, base=base)
    info["gold"] = str(gold.dir.resolve())
    scores = summarize(docs, [s.name for s in field_specs()])
    scores["run"] = info
    run = ScoredRun(run_dir, gold, predictions, docs, scores)
    if write:
        write_json(run_dir / RUN_INFO, info)
        write_json(run_dir / SCORES, scores)
        write_run_report(run_dir, scores, docs, gold.records, predictions)
    return run


def generate_run(
    gold: Gold,
    run_dir: Path,
    settings: Settings,
    *,
    label: str | None = None,
) -> dict[str, Any]:
    """Extract every gold source with the pipeline into run_dir/predictions.jsonl; the run info."""
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    paths = [str(gold.sources[i]) for i in gold.records if i in gold.sources]
    if not paths:
        raise GoldError(f"no gold sources found in {gold.dir}/sources (expected <id>.txt next to records/<id>.json)")
    docs = list(load_documents(paths))
    results = extract_documents(docs, settings)
    lines = [r.model_dump(mode="json") for r in results]
    write_predictions(run_dir, lines)
    info = {
        "label": label,
        "backend": resolve_backend(settings),
        "model": settings.model,
        "prompt_version": settings.prompt_version,
        "gold": str(gold.dir.resolve()),
        "started": started.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - t0, 3),
        "concurrency": settings.concurrency,
        "use_cache": settings.use_cache,
    }
    write_json(run_dir / RUN_INFO, info)
    return info
