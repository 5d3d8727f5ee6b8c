"""`collect`: the answers joined with the rules' results into `trialx extract` lines, in input order.

Each document is planned again from its stored text under the manifest's prompt (the same plan,
hence the same keys), each request's answer is validated as the real-time path validates it
(`extractor.llm.parse_answer`), the answers combine (`combine_answers`), and the record is merged
with the kept rules' result (`merge`), which grounds and checks it: what `LLMBackend` does with a
real-time answer. A document with a request that never got a valid answer keeps the rules' result
flagged LLM_FAILED. The results file is written whole to a temporary name and renamed, so a
collect killed half-way leaves nothing half-written and the same command starts again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, cast

from extractor.errors import ConfigError, LLMError, LLMTransportError, TrialxError
from extractor.llm import LLMConfig, LLMRecord, Prompt, combine_answers, load_prompt, parse_answer, plan_requests
from extractor.merge import llm_failed, merge
from extractor.outputs import writer_for
from extractor.result import DocumentError, ExtractionResult, Issue, Severity, Usage
from extractor.schema import TrialRecord

from batch.answers import Answers
from batch.prepare import custom_id
from batch.store import BatchDir, atomic_write

__all__ = ["Summary", "collect", "manifest_config", "manifest_prompt", "results"]


@dataclass
class Summary:
    documents: int = 0
    merged: int = 0
    llm_failed: int = 0
    errors: int = 0
    tokens: dict[str, dict[str, int]] = field(default_factory=lambda: {"batch": {"input": 0, "output": 0},
                                                                        "realtime": {"input": 0, "output": 0}})
    missing: list[str] = field(default_factory=list)  # custom_ids with no valid answer


def manifest_prompt(manifest: dict[str, Any]) -> Prompt:
    prompt = load_prompt(manifest["prompt_version"])
    if prompt.hash != manifest["prompt_hash"]:
        raise ConfigError(f"prompt {prompt.version} changed since prepare (hash {prompt.hash[:12]} != "
                          f"{str(manifest['prompt_hash'])[:12]}): prepare the batch again")
    return prompt


def manifest_config(manifest: dict[str, Any], **overrides: Any) -> LLMConfig:
    return LLMConfig(model=manifest["model"], prompt_version=manifest["prompt_version"], mode=manifest["mode"],
                     temperature=manifest["sampling"]["temperature"], max_output_tokens=manifest["sampling"]["max_tokens"],
                     max_context_tokens=manifest["max_context_tokens"],
                     reserve_output_tokens=manifest["reserve_output_tokens"], **overrides)


def _document_result(doc: dict[str, Any], rules_line: dict[str, Any], manifest: dict[str, Any], prompt: Prompt,
                     answers: Answers, summary: Summary) -> ExtractionResult | DocumentError:
    if "error" in doc:
        return DocumentError.model_validate(doc["error"])
    if "error" in rules_line:
        return DocumentError.model_validate(rules_line["error"])
    rules = ExtractionResult.model_validate(rules_line["result"])
    text: str = doc["text"]
    usage = Usage(model=manifest["model"], prompt_version=prompt.version, prompt_hash=prompt.hash, batch=True)
    outcome = answers.realtime(doc["i"])
    if outcome is not None and "error" not in outcome:  # answered through the real-time path (`retry --realtime`)
        usage = Usage.model_validate(outcome["usage"])
        result = merge(TrialRecord.model_validate(outcome["record"]), rules, text)
        result.usage = usage
        return result
    try:
        plan = plan_requests(text, prompt, max_context_tokens=manifest["max_context_tokens"],
                             reserve_output_tokens=manifest["reserve_output_tokens"])
        parsed: list[LLMRecord] = []
        failure: LLMError | None = None
        for request in plan:
            cid = custom_id(doc["i"], request.key)
            got = answers.get(cid)
            if got is not None and got[1] is not None:
                u = got[1].get("usage") or {}
                usage.requests += 1
                usage.input_tokens += int(u.get("prompt_tokens") or 0)
                usage.output_tokens += int(u.get("completion_tokens") or 0)
            try:  # every step is looked at, so `retry` re-sends all of a document's failed steps at once
                if got is None:
                    raise LLMTransportError(f"no answer from the batch for {cid}")
                if not got[0] or got[1] is None:
                    raise LLMTransportError(f"batch request {cid} failed: {got[2]}")
                parsed.append(parse_answer(request, got[1], manifest["mode"]))
            except LLMError as exc:
                failure = failure or exc
                summary.missing.append(cid)
        if failure is not None:
            raise failure
    except TrialxError as exc:
        return llm_failed(rules, exc, usage, checked=False)
    record, _ = combine_answers(parsed)
    result = merge(record, rules, text)
    result.usage = usage
    return result


def results(store: BatchDir, answers: Answers, summary: Summary) -> Iterator[ExtractionResult | DocumentError]:
    """Every document's result line, in input order (streamed: one document in memory at a time)."""
    manifest = store.manifest()
    prompt = manifest_prompt(manifest)
    for doc, rules_line in zip(store.documents(), store.rules(), strict=True):
        result = _document_result(doc, rules_line, manifest, prompt, answers, summary)
        summary.documents += 1
        if isinstance(result, DocumentError):
            summary.errors += 1
            yield result
            continue
        # how the input was read is worth a reviewer's glance (as the pipeline adds it)
        result.issues += [Issue(code="INPUT_ENCODING", severity=Severity.INFO, paths=[], message=w) for w in doc["warnings"]]
        if any(i.code == "LLM_FAILED" for i in result.issues):
            summary.llm_failed += 1
        else:
            summary.merged += 1
        bucket = summary.tokens["batch" if result.usage.batch else "realtime"]
        bucket["input"] += result.usage.input_tokens
        bucket["output"] += result.usage.output_tokens
        yield result


def collect(store: BatchDir, out: str | Path, files: list[Path], *, output_format: str = "jsonl",
            bom: bool = False, formula_guard: bool = False) -> Summary:
    """Read `files` (outputs and error files) into the answers, then write every result line to `out`.

    `output_format` is any of `extractor.outputs.FORMATS` (JSON Lines, the contract, by default);
    csv's companion files (arms, outcomes, ...) go beside `out`, named after it.
    """
    summary = Summary()
    answers = Answers(store.file("answers.sqlite"))
    target = Path(out)
    try:
        for path in files:
            answers.ingest(path)
        with atomic_write(target) as fh:
            writer = writer_for(output_format, cast(TextIO, fh), bom=bom, companion_dir=target.parent,  # opened "w"
                                companion_prefix=f"{target.stem}.", formula_guard=formula_guard)
            for item in results(store, answers, summary):
                writer.write(item.model_dump(mode="json"))
            writer.close()
    finally:
        answers.close()
    store.log("collected", out=str(out), documents=summary.documents, llm_failed=summary.llm_failed)
    return summary
