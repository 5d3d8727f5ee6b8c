"""The LLM path: any OpenAI-compatible server, through instructor, with bounded retries.

Two retry layers, each bounded and each with one job:
- HTTP (`extractor.transport`): the openai client runs with `max_retries=0` and an explicit
  timeout; a transport wrapper retries 429 (honouring Retry-After, capped), 5xx, timeouts and
  connection errors, counts usage for every response and enforces the per-document token budget.
- Answers (instructor): a reply that fails validation (schema, or a quote the document does not
  contain; see `extractor.wire`) goes back to the model, at most `max_reasks` times.
A document that does not fit the context is split along its sections, never cut
(`extractor.parts`). Waits go through this module's `sleep`, looked up at each wait, so tests can
make them instant by patching `extractor.llm.sleep`.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import instructor
import openai

from extractor.cache import ResponseCache, cache_key
from extractor.errors import (
    ConfigError,
    ContextLengthError,
    LLMError,
    LLMResponseError,
    LLMTransportError,
    TrialxError,
)
from extractor.merge import llm_failed, merge
from extractor.parts import estimate_tokens, merge_parts, split_document
from extractor.prompts import DEFAULT_PROMPT, Prompt, load_prompt
from extractor.result import ExtractionResult, Usage
from extractor.schema import TrialRecord
from extractor.transport import _STATS, RetryingTransport, _Stats, openai_client
from extractor.wire import SCHEMA_HASH, WIRE_SCHEMA, LLMRecord, _SOURCE, _WireRecord, compact_schema, schema_overhead_tokens

__all__ = ["LLMConfig", "LLMBackend", "LLMClient", "create_backend", "LLMRecord", "extract_record", "compact_schema",
           "schema_overhead_tokens", "WIRE_SCHEMA", "split_document", "estimate_tokens", "sleep",
           "default_model", "llm_configured", "LLMOutcome", "merge_parts", "SCHEMA_HASH", "RetryingTransport"]

# instructor logs every failed attempt at ERROR level; our callers report failures themselves.
logger = logging.getLogger("trialx")
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


@dataclass
class LLMConfig:
    model: str = field(default_factory=default_model)
    prompt_version: str = DEFAULT_PROMPT
    base_url: str | None = None  # else OPENAI_BASE_URL, else OpenAI's
    api_key: str | None = field(default=None, repr=False)  # else OPENAI_API_KEY; never stored or logged
    # auto: tool calls, falling back to json_schema then md_json when the server rejects them (400)
    mode: str = field(default_factory=lambda: os.environ.get("TRIALX_LLM_MODE") or "auto")
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
        if self.mode not in MODES and self.mode != "auto":
            raise ConfigError(f"unknown LLM mode {self.mode!r}; use one of: auto, {', '.join(MODES)}")
        if self.max_attempts < 1 or self.max_reasks < 0:
            raise ConfigError("max_attempts must be >= 1 and max_reasks >= 0")

    def sampling(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "max_tokens": self.max_output_tokens}



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
    """The openai client over the retrying transport; its waits read `sleep` here at each wait."""
    return openai_client(config, sleep=lambda seconds: sleep(seconds))


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


AUTO_MODES = ("tools", "json_schema", "md_json")
_MODE_WORDS = re.compile(r"tool|function|response_format|json_schema|not supported|unsupported", re.I)


def _rejects_mode(error: openai.BadRequestError) -> bool:
    """A 400 about what the mode sends (tool calls, response_format), not about the document."""
    body = error.body if isinstance(error.body, dict) else {}
    detail = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
    return bool(_MODE_WORDS.search(f"{error.message} {detail.get('param') or ''}"))


class LLMClient:
    """The openai client and its instructor wrapper, made once and shared by every document.

    Building a client costs an SSL context (~25 ms of CPU) and drops the connection pool, so a
    backend keeps one per event loop and closes it at the end of the stream (`aclose`).
    """

    def __init__(self, config: LLMConfig) -> None:
        self.openai = _client(config)
        # auto: the modes still to try, best first; a server that rejects one moves us to the next
        self.modes = list(AUTO_MODES) if config.mode == "auto" else [config.mode]
        self.instructor = instructor.from_openai(self.openai, mode=MODES[self.modes[0]])
        self.loop = asyncio.get_running_loop()
        # At most this many documents talk to the model at once (their re-asks and backoffs included);
        # what a document does before and after (rules, merge) does not hold a slot.
        self.gate = asyncio.Semaphore(max(1, config.max_connections))
        self.lane = _Lane()

    @property
    def mode(self) -> str:
        return self.modes[0]

    def fall_back(self, exc: BaseException, tried: str) -> bool:
        """After a 400 that rejects what mode `tried` sends (tools, response_format), use the next mode.

        Several documents may hit the rejection at once: only the first moves the client on; the
        others just retry with the mode now in place.
        """
        if not any(isinstance(e, openai.BadRequestError) and _rejects_mode(e) for e in _chain(exc)):
            return False
        if self.modes[0] != tried:
            return True
        if len(self.modes) == 1:
            return False
        self.modes.pop(0)
        self.instructor = instructor.from_openai(self.openai, mode=MODES[self.modes[0]])
        logger.warning("the model server rejected %s mode; using %s mode", tried, self.modes[0])
        return True

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
                while True:
                    tried = shared.mode
                    try:
                        async with shared.gate:
                            answers.append(await _extract_part(shared.instructor, prompt, config, part))
                        break
                    except TrialxError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - openai/instructor errors are classified below
                        if shared.fall_back(exc, tried):
                            continue
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
