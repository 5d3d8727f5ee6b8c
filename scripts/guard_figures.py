"""The model alone, and the guard on real errors, from a finished LLM eval (no model call).

    python scripts/guard_figures.py --gold gold --rules RULES_RUN --merged MERGED_RUN --out MODEL_ALONE_RUN \
        [--model M] [--prompt v4] [--mode auto]

1. The model alone: each gold source's model record is read back from the response cache (the
   same key the eval used; a miss is skipped, never sent), grounded, and written as a run
   directory, scored like any run (`trialx compare RULES MODEL_ALONE` works on it).
2. The guard: per document and field scored in both, of the model's values that are wrong or
   extra against gold, how many the merge corrected (merged right) or only flagged (an
   LLM_RULES_DISAGREE / UNGROUNDED_VALUE warning names the field); of its right values, how many
   the merge flagged or overrode (merged wrong); of the fields it missed, how many the rules filled. Printed as JSON and written to OUT/guard.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evals.runs import load_gold, read_predictions, read_run_info, score_run, write_json, write_predictions  # noqa: E402
from extractor.checks import run_checks  # noqa: E402
from extractor.errors import LLMError  # noqa: E402
from extractor.grounding import ground  # noqa: E402
from extractor.llm import LLMConfig, extract_record  # noqa: E402
from extractor.result import ExtractionResult  # noqa: E402

GUARD_CODES = {"LLM_RULES_DISAGREE", "UNGROUNDED_VALUE"}


def model_alone(gold_dir: Path, out: Path, *, model: str, prompt: str, mode: str) -> int:
    gold = load_gold(gold_dir)
    config = LLMConfig(base_url="http://127.0.0.1:9/v1", model=model, prompt_version=prompt, mode=mode,
                       use_cache=True)
    lines: list[dict[str, Any]] = []
    for doc_id in gold.records:
        path = gold.sources.get(doc_id)
        if path is None:
            continue
        text = Path(path).read_text(encoding="utf-8")
        try:
            outcome = asyncio.run(extract_record(text, config))
        except LLMError:
            continue  # not in the cache: this script never asks the model
        if not outcome.usage.cache_hit:
            continue
        evidence, issues = ground(outcome.record, text)
        result = ExtractionResult(id=doc_id, source=str(path), backend="llm", record=outcome.record,
                                  evidence=evidence, issues=run_checks(outcome.record) + issues, usage=outcome.usage)
        lines.append(result.model_dump(mode="json"))
    write_predictions(out, lines)
    write_json(out / "run.json", {"backend": "llm-alone", "model": model, "prompt_version": prompt,
                                  "gold": str(gold_dir.resolve()), "label": f"{model} alone (no merge)"})
    return len(lines)


def statuses(run_dir: Path) -> dict[str, dict[str, str]]:
    scores = json.loads((run_dir / "scores.json").read_text(encoding="utf-8"))
    return {d: info.get("status", {}) for d, info in scores["documents"].items()}


def flagged_fields(run_dir: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for doc_id, line in read_predictions(run_dir).items():
        out[doc_id] = {p.split("[")[0].split(".")[0] for i in line.get("issues", []) if i["code"] in GUARD_CODES
                       for p in i.get("paths", [])}
    return out


def guard(alone: Path, merged: Path) -> dict[str, Any]:
    a, m, flags = statuses(alone), statuses(merged), flagged_fields(merged)
    wrong = {"n": 0, "corrected": 0, "flagged_only": 0, "kept_unflagged": 0}
    missing = {"n": 0, "filled_by_rules": 0}
    right = {"n": 0, "kept_quietly": 0, "flagged": 0, "overridden": 0}
    for doc_id, fields in a.items():
        for name, status in fields.items():
            # a field the merged record leaves empty where gold has none is not scored: right
            merged_ok = m.get(doc_id, {}).get(name, "correct") == "correct"
            flagged = name in flags.get(doc_id, set())
            if status == "correct":
                right["n"] += 1
                if not merged_ok:
                    right["overridden"] += 1
                elif flagged:
                    right["flagged"] += 1
                else:
                    right["kept_quietly"] += 1
            elif status == "missing":
                missing["n"] += 1
                missing["filled_by_rules"] += merged_ok
            elif status in ("wrong", "extra"):
                wrong["n"] += 1
                if merged_ok:
                    wrong["corrected"] += 1
                elif flagged:
                    wrong["flagged_only"] += 1
                else:
                    wrong["kept_unflagged"] += 1
    return {"model_wrong_or_extra": wrong, "model_missing": missing, "model_right": right}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gold", type=Path, default=ROOT / "gold")
    p.add_argument("--merged", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--model")
    p.add_argument("--prompt")
    p.add_argument("--mode", default="auto")
    args = p.parse_args(argv)
    info = read_run_info(args.merged)
    model = args.model or info.get("model")
    prompt = args.prompt or info.get("prompt_version")
    n = model_alone(args.gold, args.out, model=model, prompt=prompt, mode=args.mode)
    score_run(args.out, args.gold)
    figures = {"documents": n, "model": model, "prompt": prompt, **guard(args.out, args.merged)}
    write_json(args.out / "guard.json", figures)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
