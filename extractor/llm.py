"""The LLM path: any OpenAI-compatible server, through instructor, with bounded retries.

Two retry layers, each bounded and each with one job:
- HTTP (ours): the openai client runs with `max_retries=0` and an explicit timeout; a transport
  wrapper retries 429 (honouring Retry-After / retry-after-ms, capped), 5xx, timeouts and
  connection errors with tenacity (jittered exponential backoff, `max_attempts`). It also counts
  usage for every response, failed attempts and re-asks included, and enforces the per-document
  token budget before each request.
- Answers (instructor): a reply that fails validation (schema, or a quote the document does not
  contain) goes back to the model, at most `max_reasks` times.
A document that does not fit the context is split along its sections, never cut. Waits go
through the module-level `sleep`, so tests can make them instant.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import hashlib
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import httpx2
import instructor
import openai
from pydantic import BaseModel, Field, ValidationInfo, model_validator
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from extractor.cache import ResponseCache, cache_key
from extractor.errors import (
    ConfigError,
    ContextLengthError,
    LLMError,
    LLMResponseError,
    LLMTransportError,
    TokenBudgetError,
    TrialxError,
)
from extractor.merge import llm_failed, merge
from extractor.prompts import DEFAULT_PROMPT, Prompt, load_prompt
from extractor.result import ExtractionResult, Usage
from extractor.schema import TrialRecord

__all__ = ["LLMConfig", "LLMBackend", "LLMClient", "create_backend", "LLMRecord", "extract_record", "compact_schema",
           "schema_overhead_tokens", "WIRE_SCHEMA", "split_document", "estimate_tokens", "sleep",
           "default_model", "llm_configured"]

# instructor logs every failed attempt at ERROR level; our callers report failures themselves.
logging.getLogger("instructor").addHandler(logging.NullHandler())
logging.getLogger("instructor").propagate = bool(os.environ.get("TRIALX_DEBUG"))

# Patchable wait: tests set `extractor.llm.sleep` to an instant coroutine.
sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

MODES = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}


def default_model() -> str:
    return os.environ.get("TRIALX_MODEL") or "gpt-4o-mini"


def llm_configured(base_url: str | None = None) -> bool:
    """True when an API key or a base URL is configured (what `--backend auto` asks)."""
    return bool(base_url or os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"))


def estimate_tokens(text: str) -> int:
    """chars / 4, rounded up: a deliberately simple, tokenizer-free estimate."""
    return (len(text) + 3) // 4


def _fold(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.replace("\\", "").lower()))


# The text quotes are checked against, for the request being validated. Not instructor's `context`:
# instructor renders every message as a Jinja template when a context is given, which costs a
# template compile per document and mangles documents that contain "{{", "{%" or indentation.
_SOURCE: contextvars.ContextVar[str | None] = contextvars.ContextVar("trialx_llm_source", default=None)


class LLMRecord(TrialRecord):
    """The response model: the record plus verbatim quotes, each checked against the document."""

    quotes: dict[str, str] = Field(
        default_factory=dict,
        description="field path -> a short verbatim span of the document that states that value",
    )

    @model_validator(mode="after")
    def _quotes_in_source(self, info: ValidationInfo) -> "LLMRecord":
        context = info.context or {}
        source = context.get("source_text", _SOURCE.get())
        if not isinstance(source, str):
            return self
        folded = _fold(source)
        bad = [path for path, quote in self.quotes.items() if _fold(quote) and _fold(quote) not in folded]
        if bad:
            shown = "; ".join(f"{p}: {self.quotes[p][:80]!r}" for p in bad[:5])
            raise ValueError(
                f"these quotes do not occur in the document: {shown}. "
                "Copy each quote verbatim from the document, or remove it and recheck that value."
            )
        return self

    def to_record(self) -> TrialRecord:
        return TrialRecord.model_validate(self.model_dump(exclude={"quotes"}))


# --- what the model sees: a compact schema, built once -----------------------------------------

_DROP_KEYS = frozenset({"title", "default", "minLength", "pattern"})


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema the model reads, without the noise: no titles, defaults or null branches.

    Every field is optional, so "not stated" is simply left out (the response model still accepts
    null); enums and the descriptions that carry conventions stay. A `$defs` entry used once is
    inlined; one used more often stays a reference.
    """
    defs: dict[str, Any] = schema.get("$defs", {})
    uses: dict[str, int] = {}
    for ref in re.findall(r'"\$ref": "#/\$defs/(\w+)"', json.dumps(schema)):
        uses[ref] = uses.get(ref, 0) + 1
    kept: dict[str, Any] = {}

    def conv(node: Any) -> Any:
        if isinstance(node, list):
            return [conv(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            target = defs[name]
            if uses.get(name, 0) > 1 and len(json.dumps(target)) > 120:
                if name not in kept:
                    kept[name] = {}
                    kept[name] = conv(target)
                return {"$ref": f"#/$defs/{name}"}
            return conv(target)
        if "anyOf" in node:
            branches = [b for b in node["anyOf"] if b.get("type") != "null"]
            one: dict[str, Any] = conv(branches[0]) if len(branches) == 1 else {"anyOf": conv(branches)}
            if "description" in node:
                one = {**one, "description": node["description"]}
            return one
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROP_KEYS or key == "$defs" or (key == "required" and not value):
                continue
            if (key == "additionalProperties" and value is False) or (key == "type" and "enum" in node):
                continue  # closed objects are enforced by validation; an enum says its own type
            if key == "properties":
                out[key] = {name: conv(prop) for name, prop in value.items()}
            else:
                out[key] = conv(value)
        return out

    body = conv({k: v for k, v in schema.items() if k not in ("title", "$defs")})
    out: dict[str, Any] = {"title": schema.get("title", "LLMRecord")}
    if kept:
        out["$defs"] = {name: kept[name] for name in sorted(kept)}
    out.update(body)
    return out


# Shorter words for the conventions the schema's descriptions carry (the prompt teaches the rest).
_SHORT_DESCRIPTIONS = {
    "YYYY, YYYY-MM or YYYY-MM-DD, as precise as the document": "YYYY[-MM[-DD]], as precise as the page",
    "'<integer> <Unit>', e.g. '18 Years', '6 Months', '1 Year'": "e.g. '18 Years', '6 Months'",
    "field path -> a short verbatim span of the document that states that value": "field path -> verbatim span stating it",
    "A study arm or group; `intervention_names` link to `Intervention.name`.": "intervention_names: Intervention names",
    "An intervention; `arm_labels` link back to `Arm.label`.": "arm_labels: Arm labels",
    "The response model: the record plus verbatim quotes, each checked against the document.": "One trial's record.",
}


def _shorten(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (_SHORT_DESCRIPTIONS.get(v, v) if k == "description" and isinstance(v, str) else _shorten(v))
                for k, v in node.items()}
    return [_shorten(n) for n in node] if isinstance(node, list) else node


WIRE_SCHEMA: dict[str, Any] = _shorten(compact_schema(LLMRecord.model_json_schema()))
SCHEMA_HASH = hashlib.sha256(json.dumps(WIRE_SCHEMA, sort_keys=True).encode()).hexdigest()
_SCHEMA_TOKENS = estimate_tokens(json.dumps(WIRE_SCHEMA))


class _WireRecord(LLMRecord, instructor.ResponseSchema):
    """LLMRecord as instructor's response model, built once.

    Being a ResponseSchema already, instructor uses it as is instead of wrapping LLMRecord in a new
    class on every call (which also defeated its per-class tool-schema cache); its schema is the
    compact one. Parsing, validation (quotes included) and re-asks stay instructor's.
    """

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return copy.deepcopy(WIRE_SCHEMA)


_WireRecord.__name__ = _WireRecord.__qualname__ = "LLMRecord"


def _check_async_validators_once() -> None:
    """instructor walks the response model's whole type tree for async validators 7 times per
    request (~3 ms of CPU per document). The answer for our one fixed class never changes: check
    it once here, then let every other model through to instructor's own check."""
    try:  # instructor internals: where they differ (another version), keep instructor's own check
        from instructor.v2.core import patch as instructor_patch
        from instructor.v2.validation import async_validators

        original = async_validators.reject_async_validators
        getattr(instructor_patch, "reject_async_validators")
    except (ImportError, AttributeError):
        return
    if getattr(original, "trialx_once", False):
        return
    original(_WireRecord)  # raises here, at import, if the model ever gains an async validator

    def reject_async_validators(response_model: Any) -> None:
        if response_model is not _WireRecord:
            original(response_model)

    reject_async_validators.trialx_once = True  # type: ignore[attr-defined]
    async_validators.reject_async_validators = reject_async_validators
    instructor_patch.reject_async_validators = reject_async_validators  # imported by name there


_check_async_validators_once()


def schema_overhead_tokens(prompt: Prompt) -> int:
    """Estimated tokens a request spends besides the document: instructions plus schema."""
    return estimate_tokens(prompt.system + prompt.user) + _SCHEMA_TOKENS


@dataclass
class LLMConfig:
    model: str = field(default_factory=default_model)
    prompt_version: str = DEFAULT_PROMPT
    base_url: str | None = None  # else OPENAI_BASE_URL, else OpenAI's
    api_key: str | None = None  # else OPENAI_API_KEY; never stored or logged
    mode: str = field(default_factory=lambda: os.environ.get("TRIALX_LLM_MODE") or "tools")  # tools | json_schema | json | md_json (local servers without tools)
    temperature: float = 0.0
    max_output_tokens: int | None = None
    timeout_s: float = 60.0  # per HTTP request
    max_attempts: int = 4  # HTTP attempts per request (429 / 5xx / timeout / connection)
    max_reasks: int = 2  # validation re-asks per document part
    backoff_max_s: float = 20.0
    retry_after_cap_s: float = 60.0
    token_budget: int = 300_000  # per document, all attempts
    max_context_tokens: int = 128_000
    reserve_output_tokens: int = 8_000
    use_cache: bool = True
    max_connections: int = 16  # HTTP connection pool; the pipeline sets it to its concurrency

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"unknown LLM mode {self.mode!r}; use one of: {', '.join(MODES)}")
        if self.max_attempts < 1 or self.max_reasks < 0:
            raise ConfigError("max_attempts must be >= 1 and max_reasks >= 0")

    def sampling(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "max_tokens": self.max_output_tokens}


# --- HTTP layer: retries, usage, budget ----------------------------------------------------


@dataclass
class _Stats:
    """What one document's requests cost, summed over every attempt."""

    budget: int
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    last_status: int | None = None
    last_finish: str | None = None
    last_refusal: str | None = None
    last_error: str | None = None


_STATS: contextvars.ContextVar[_Stats | None] = contextvars.ContextVar("trialx_llm_stats", default=None)


class _RetryableStatus(Exception):
    def __init__(self, response: httpx2.Response, retry_after: float | None) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.retry_after = retry_after


def _retry_after(response: httpx2.Response) -> float | None:
    ms = response.headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            return None  # an HTTP date: fall back to our own backoff
    return None


class RetryingTransport(httpx2.AsyncBaseTransport):
    """Retries one HTTP request (429, 5xx, timeouts, connection errors) and counts its usage."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, config: LLMConfig) -> None:
        self.inner = inner
        self.config = config
        self._backoff = wait_random_exponential(multiplier=0.5, max=config.backoff_max_s)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableStatus) and exc.retry_after is not None:
            return min(exc.retry_after, self.config.retry_after_cap_s)
        return float(self._backoff(state))

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        stats = _STATS.get()
        try:
            body = request.content
        except httpx2.RequestNotRead:  # a streamed body: no estimate, the budget still counts usage
            body = b""
        estimate = estimate_tokens(body.decode("utf-8", "replace")) if body else 0

        async def attempt() -> httpx2.Response:
            if stats is not None:
                used = stats.input_tokens + stats.output_tokens
                if used + estimate > stats.budget:
                    raise TokenBudgetError(
                        f"token budget of {stats.budget} per document reached ({used} used, next request ~{estimate})",
                    )
                stats.requests += 1
            try:
                response = await self.inner.handle_async_request(request)
            except httpx2.TransportError as exc:
                if stats is not None:
                    stats.last_error = f"{type(exc).__name__}"
                raise
            if stats is not None:
                stats.last_status = response.status_code
            if response.status_code == 429 or response.status_code >= 500:
                await response.aread()
                raise _RetryableStatus(response, _retry_after(response) if response.status_code == 429 else None)
            if response.status_code == 200 and stats is not None:
                await response.aread()
                _count(stats, response.content)
            return response

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.config.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type((_RetryableStatus, httpx2.TimeoutException, httpx2.NetworkError)),
            sleep=lambda seconds: sleep(seconds),
            reraise=True,
        )
        try:
            return await retrying(attempt)
        except _RetryableStatus as exc:  # attempts exhausted: let openai raise its typed error
            return exc.response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _count(stats: _Stats, content: bytes) -> None:
    try:
        data = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return
    usage = data.get("usage") or {}
    stats.input_tokens += int(usage.get("prompt_tokens") or 0)
    stats.output_tokens += int(usage.get("completion_tokens") or 0)
    choices = data.get("choices") or [{}]
    stats.last_finish = choices[0].get("finish_reason")
    stats.last_refusal = (choices[0].get("message") or {}).get("refusal")


# --- one request's worth of extraction ------------------------------------------------------


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _classify(exc: BaseException, stats: _Stats, config: LLMConfig) -> LLMError:
    """Turn whatever openai/instructor raised into one typed, one-line LLMError."""
    chain = _chain(exc)
    for e in chain:
        if isinstance(e, LLMError):
            return e
    if stats.last_refusal:
        return LLMResponseError(f"the model refused: {stats.last_refusal[:120]}")
    for e in chain:
        if type(e).__name__ == "IncompleteOutputException" or stats.last_finish == "length":
            return LLMResponseError("the answer was cut off at the output limit (finish_reason=length)")
    for e in chain:
        if isinstance(e, openai.APITimeoutError):
            return LLMTransportError(f"request timed out after {config.timeout_s:g}s, {stats.requests} attempts")
        if isinstance(e, openai.APIStatusError):
            return LLMTransportError(f"HTTP {e.status_code} from the model server after {stats.requests} requests")
        if isinstance(e, openai.APIConnectionError):
            return LLMTransportError(f"cannot reach the model server ({stats.last_error or 'connection error'})")
    first = " ".join(str(exc).split())[:200]
    return LLMResponseError(f"no valid record after {config.max_reasks + 1} answers: {first}")


def _client(config: LLMConfig) -> openai.AsyncOpenAI:
    """An openai client over our retrying transport, with a pool sized for the concurrency."""
    api_key = config.api_key or os.environ.get("OPENAI_API_KEY")
    base_url = config.base_url or os.environ.get("OPENAI_BASE_URL")
    if not api_key and not base_url:
        raise ConfigError("the LLM backend needs OPENAI_API_KEY or a base URL (OPENAI_BASE_URL / --base-url)")
    size = max(1, config.max_connections)
    http = httpx2.AsyncClient(
        transport=RetryingTransport(
            httpx2.AsyncHTTPTransport(limits=httpx2.Limits(max_connections=size, max_keepalive_connections=size)),
            config,
        ),
        timeout=httpx2.Timeout(config.timeout_s, connect=min(10.0, config.timeout_s)),
    )
    return openai.AsyncOpenAI(
        api_key=api_key or "not-needed",  # local servers ignore it; the SDK insists on one
        base_url=base_url,
        max_retries=0,
        timeout=config.timeout_s,
        http_client=http,
    )


class _Lane:
    """Runs the CPU-heavy steps of the LLM path (rules pass, merge) one at a time, behind the I/O.

    With many documents in flight their answers arrive together; run first-come-first-served, a
    burst of merges and rules passes held up reading the next answer and sending the next request
    (~10 ms each), so every request took ~270 ms instead of 250. A step here waits until the event
    loop has nothing else ready (answers to read, requests to send), at most `max_wait_s`.
    """

    def __init__(self, max_wait_s: float = 0.05) -> None:
        self._lock = asyncio.Lock()
        self.max_wait_s = max_wait_s

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        async with self._lock:
            await asyncio.sleep(0)
            # CPython's loop keeps its runnable callbacks in `_ready`; another loop: one yield only
            ready = getattr(asyncio.get_running_loop(), "_ready", None)
            deadline = time.monotonic() + self.max_wait_s
            while ready and time.monotonic() < deadline:
                await asyncio.sleep(0)
            return fn(*args)


class LLMClient:
    """The openai client and its instructor wrapper, made once and shared by every document.

    Building a client costs an SSL context (~25 ms of CPU) and drops the connection pool, so a
    backend keeps one per event loop and closes it at the end of the stream (`aclose`).
    """

    def __init__(self, config: LLMConfig) -> None:
        self.openai = _client(config)
        self.instructor = instructor.from_openai(self.openai, mode=MODES[config.mode])
        self.loop = asyncio.get_running_loop()
        # At most this many documents talk to the model at once (their re-asks and backoffs included);
        # what a document does before and after (rules, merge) does not hold a slot.
        self.gate = asyncio.Semaphore(max(1, config.max_connections))
        self.lane = _Lane()

    async def aclose(self) -> None:
        await self.openai.close()


async def _extract_part(client: Any, prompt: Prompt, config: LLMConfig, part: str) -> LLMRecord:
    kwargs: dict[str, Any] = {"temperature": config.temperature}
    if config.max_output_tokens:
        kwargs["max_tokens"] = config.max_output_tokens
    token = _SOURCE.set(part)
    try:
        result = await client.create(
            model=config.model,
            response_model=_WireRecord,
            messages=prompt.render(document=part),
            max_retries=config.max_reasks,
            **kwargs,
        )
    finally:
        _SOURCE.reset(token)
    assert isinstance(result, LLMRecord)
    return result


# --- documents longer than the context -----------------------------------------------------

_HEADING = re.compile(r"(?m)^(?=#{1,6} |[A-Z][A-Za-z /&-]{2,60}:?\s*$)")


def split_document(text: str, max_chars: int) -> list[str]:
    """Split along blank lines and headings into parts of at most `max_chars`; never cut a section.

    Raises ContextLengthError when one section alone exceeds the limit.
    """
    if len(text) <= max_chars:
        return [text]
    sections: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        sections.extend(s for s in _HEADING.split(block) if s.strip())
    parts: list[str] = []
    current = ""
    for section in sections:
        if len(section) > max_chars:
            raise ContextLengthError(
                f"a section of {len(section)} characters does not fit the model context "
                f"({max_chars} characters of document per request); raise max_context_tokens or shorten it",
            )
        joined = f"{current}\n\n{section}" if current else section
        if len(joined) > max_chars:
            parts.append(current)
            current = section
        else:
            current = joined
    if current:
        parts.append(current)
    return parts


def merge_parts(records: list[TrialRecord]) -> TrialRecord:
    """Scalars: first non-null; lists: concatenated, duplicates dropped."""
    merged: dict[str, Any] = {}
    for name in TrialRecord.model_fields:
        values = [getattr(r, name) for r in records]
        if isinstance(values[0], list):
            out: list[Any] = []
            seen: list[Any] = []
            for items in values:
                for item in items:
                    key = item.model_dump() if isinstance(item, BaseModel) else item
                    if key not in seen:
                        seen.append(key)
                        out.append(item)
            merged[name] = out
        else:
            merged[name] = next((v for v in values if v is not None), None)
    return TrialRecord.model_validate(merged)


# --- the document-level API -------------------------------------------------------------------


@dataclass
class LLMOutcome:
    record: TrialRecord
    usage: Usage
    quotes: dict[str, str]


async def extract_record(text: str, config: LLMConfig, prompt: Prompt | None = None,
                         client: LLMClient | None = None) -> LLMOutcome:
    """The model's record for one document (cached); raises a typed LLMError when it fails for good.

    Pass the backend's shared `client`; without one a client is made for this call and closed.
    """
    prompt = prompt or load_prompt(config.prompt_version)
    usage = Usage(model=config.model, prompt_version=prompt.version, prompt_hash=prompt.hash)
    key = cache_key(model=config.model, prompt_hash=prompt.hash, schema_hash=SCHEMA_HASH, mode=config.mode,
                    sampling=config.sampling(), text=text)
    cache = ResponseCache() if config.use_cache else None
    if cache is not None and (hit := cache.get(key)) is not None:
        usage.cache_hit = True
        return LLMOutcome(TrialRecord.model_validate(hit["record"]), usage, dict(hit.get("quotes", {})))

    room = config.max_context_tokens - schema_overhead_tokens(prompt) - config.reserve_output_tokens
    if room <= 0:
        raise ContextLengthError(f"the prompt alone does not fit the model context of {config.max_context_tokens} tokens")
    parts = split_document(text, room * 4)

    stats = _Stats(budget=config.token_budget)
    token = _STATS.set(stats)
    started = time.monotonic()
    own = client is None
    try:
        shared = client or LLMClient(config)
        try:
            answers: list[LLMRecord] = []
            for part in parts:
                try:
                    async with shared.gate:
                        answers.append(await _extract_part(shared.instructor, prompt, config, part))
                except TrialxError:
                    raise
                except Exception as exc:  # noqa: BLE001 - openai/instructor errors are classified below
                    raise _classify(exc, stats, config) from None
        finally:
            if own:
                await shared.aclose()
    finally:
        _STATS.reset(token)
        usage.requests = stats.requests
        usage.input_tokens = stats.input_tokens
        usage.output_tokens = stats.output_tokens
        usage.latency_s = round(time.monotonic() - started, 3)
        _last_usage.set(usage)

    records = [a.to_record() for a in answers]
    record = records[0] if len(records) == 1 else merge_parts(records)
    quotes: dict[str, str] = {}
    for a in answers:
        for path, quote in a.quotes.items():
            quotes.setdefault(path, quote)
    if cache is not None:
        cache.put(key, {"record": record.model_dump(mode="json"), "quotes": quotes},
                  model=config.model, prompt_hash=prompt.hash)
    return LLMOutcome(record, usage, quotes)


# The usage of the last attempt in this context, so a failure can still report what it cost.
_last_usage: contextvars.ContextVar[Usage | None] = contextvars.ContextVar("trialx_llm_usage", default=None)


class LLMBackend:
    """The pipeline's LLM plug-in: the model's record merged with the rules', or the rules on failure.

    One client serves every document of a stream (made on first use, closed by `aclose`).
    """

    name = "llm"
    gates_requests = True  # the pipeline leaves the concurrency limit to `set_concurrency`

    def __init__(self, config: LLMConfig | None = None) -> None:
        self.config = config or LLMConfig()
        self.prompt = load_prompt(self.config.prompt_version)  # a bad prompt fails the run up front
        if not llm_configured(self.config.base_url) and not self.config.api_key:
            raise ConfigError("the LLM backend needs OPENAI_API_KEY or a base URL (OPENAI_BASE_URL / --base-url)")
        self._client: LLMClient | None = None

    def client(self) -> LLMClient:
        """The shared client of the running event loop (a client cannot outlive its loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client.loop is not loop:
            self._client = LLMClient(self.config)
        return self._client

    def set_concurrency(self, n: int) -> None:
        """How many documents may wait on the model at once; also the connection pool's size."""
        if self._client is not None and self.config.max_connections != n:
            raise ConfigError("set the concurrency before the backend's first request")
        self.config.max_connections = max(1, n)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.loop is asyncio.get_running_loop():
            await client.aclose()

    async def _ask(self, text: str) -> LLMOutcome | tuple[LLMError, Usage]:
        """The model's outcome, or the error with what the attempts cost."""
        _last_usage.set(None)
        try:
            return await extract_record(text, self.config, self.prompt, self.client())
        except LLMError as exc:
            usage = _last_usage.get() or Usage(model=self.config.model, prompt_version=self.prompt.version,
                                               prompt_hash=self.prompt.hash)
            return exc, usage

    def _finish(self, answer: LLMOutcome | tuple[LLMError, Usage], rules: ExtractionResult, text: str,
                checked: bool = True) -> ExtractionResult:
        if isinstance(answer, tuple):
            return llm_failed(rules, *answer, checked=checked)
        result = merge(answer.record, rules, text)
        result.usage = answer.usage
        return result

    async def extract(self, doc_id: str, source: str, text: str, rules: ExtractionResult) -> ExtractionResult:
        return self._finish(await self._ask(text), rules, text)

    async def extract_with_rules(self, text: str, rules: Callable[[], ExtractionResult | Any], *,
                                 checked: bool = True) -> ExtractionResult | Any:
        """Send the document to the model first, then run `rules()` while the model works.

        The request does not need the rules' result, only the merge does, so the rules pass is off
        the request's path. `rules()` may return something else (a DocumentError): that is returned
        as is and the request is cancelled. `checked=False`: `rules()` leaves the consistency checks
        out (the merge checks the final record); they are added if the rules' result stands.
        """
        request = asyncio.ensure_future(self._ask(text))
        await asyncio.sleep(0)  # the request takes its slot (or queues for one) before the rules run
        lane = self.client().lane
        first = await lane.run(rules)
        if not isinstance(first, ExtractionResult):
            request.cancel()
            return first
        answer = await request
        return await lane.run(self._finish, answer, first, text, checked)


def create_backend(settings: Any) -> LLMBackend:
    """Build the backend from `pipeline.Settings` (model, prompt_version, base_url, use_cache, concurrency)."""
    options = {"model": settings.model, "prompt_version": settings.prompt_version, "base_url": settings.base_url,
               "mode": settings.mode, "max_connections": getattr(settings, "concurrency", None)}
    config = LLMConfig(**{k: v for k, v in options.items() if v is not None}, use_cache=settings.use_cache)
    return LLMBackend(config)
