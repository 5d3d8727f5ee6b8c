"""The LLM path: any OpenAI-compatible server, through instructor, with bounded retries.

Two retry layers, each bounded and each with one job:
- HTTP (`extractor.llm.transport`): the openai client runs with `max_retries=0` and an explicit
  timeout; a transport wrapper retries 429 (honouring Retry-After, capped), 5xx, timeouts and
  connection errors, counts usage for every response and enforces the per-document token budget.
- Answers (instructor): a reply that fails validation (schema, or a quote the document does not
  contain; see `extractor.llm.wire`) goes back to the model, at most `max_reasks` times.
A document that does not fit the context is split along its sections, never cut
(`extractor.llm.parts`). Waits go through this module's `sleep`, looked up at each wait, so tests can
make them instant by patching `extractor.llm.client.sleep`.
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

from extractor.llm.cache import ResponseCache, cache_key
from extractor.errors import (
    ConfigError,
    LLMError,
    LLMResponseError,
    LLMTransportError,
    TrialxError,
)
from extractor.llm.plan import PlannedRequest, combine_answers, plan_requests
from extractor.llm.prompts import DEFAULT_PROMPT, Prompt, load_prompt
from extractor.result import Usage
from extractor.schema import TrialRecord
from extractor.llm.transport import REQUEST_STATS, RequestStats, openai_client, rejects_mode_text
from extractor.llm.wire import QUOTE_SOURCE, SCHEMA_HASH, LLMRecord

__all__ = ["LLMClient", "LLMConfig", "LLMOutcome", "Lane", "default_model", "extract_record", "last_usage",
           "llm_configured", "sleep"]

# instructor logs every failed attempt at ERROR level; our callers report failures themselves.
logger = logging.getLogger("trialx")
logging.getLogger("instructor").addHandler(logging.NullHandler())
logging.getLogger("instructor").propagate = bool(os.environ.get("TRIALX_DEBUG"))

# Patchable wait: tests set `extractor.llm.client.sleep` to an instant coroutine.
sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

MODES = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
    # llama.cpp: response_format {"type": "json_object", "schema": ...}, which it turns into a grammar
    "grammar": instructor.Mode.JSON,
}


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a number of seconds") from None
    if number <= 0:
        raise ConfigError(f"{name} must be > 0 seconds")
    return number


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
    # A bounded answer (one whole record; a stepwise prompt bounds each step itself): a small model
    # that starts repeating stops here instead of at the server's cap.
    max_output_tokens: int | None = 2048
    timeout_s: float = 60.0  # per non-streamed HTTP request (model listing)
    # Answers are streamed: the idle timeout is the longest silence, the deadline bounds one answer.
    idle_timeout_s: float = field(default_factory=lambda: _env_float("TRIALX_IDLE_TIMEOUT", 30.0))
    deadline_s: float = field(default_factory=lambda: _env_float("TRIALX_DEADLINE", 900.0))
    stream: bool = True
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
            raise ConfigError(f"unknown LLM mode {self.mode!r}; use one of: auto, {', '.join(MODES)}", field="mode")
        if self.idle_timeout_s <= 0 or self.deadline_s <= 0:
            raise ConfigError("the idle timeout and the deadline must be > 0 seconds")
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


def _classify(exc: BaseException, stats: RequestStats, config: LLMConfig) -> LLMError:
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
    if stats.last_finish == "cut":
        return LLMResponseError("the server ended the streamed answer before it finished (no finish_reason): another "
                                "request may have interrupted it (llama-cpp-python does unless started with "
                                "--interrupt_requests False)")
    for e in chain:
        if isinstance(e, openai.APITimeoutError):
            why = stats.last_error or f"request timed out after {config.timeout_s:g}s"
            return LLMTransportError(f"{why}; not re-sent to a server that may still be computing it")
        if isinstance(e, openai.APIStatusError):
            said = server_message(e)
            if rejects_mode_text(said):
                return LLMTransportError(f"the model server rejected --mode {config.mode} (HTTP {e.status_code}): {said}")
            return LLMTransportError(f"HTTP {e.status_code} from the model server after {stats.requests} requests: {said}")
        if isinstance(e, openai.APIConnectionError):
            return LLMTransportError(f"cannot reach the model server ({stats.last_error or 'connection error'})")
    first = " ".join(str(exc).split())[:200]
    return LLMResponseError(f"no valid record after {config.max_reasks + 1} answers: {first}")


def _client(config: LLMConfig) -> openai.AsyncOpenAI:
    """The openai client over the retrying transport; its waits read `sleep` here at each wait."""
    return openai_client(config, sleep=lambda seconds: sleep(seconds))


class Lane:
    """Runs the CPU-heavy steps of the LLM path (rules pass, merge) one at a time, behind the I/O.

    With many documents in flight their answers arrive together; run first-come-first-served, a
    burst of merges and rules passes held up reading the next answer and sending the next request
    (~10 ms each), so every request took ~270 ms instead of 250. A step here first yields to the
    event loop a few times, so the answers ready to read and the requests ready to send go first.
    """

    def __init__(self, yields: int = 4) -> None:
        self._lock = asyncio.Lock()
        self.yields = yields

    async def _give_way(self) -> None:
        for _ in range(self.yields):
            await asyncio.sleep(0)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        async with self._lock:
            await self._give_way()
            return fn(*args)

    async def run_async(self, step: Awaitable[Any]) -> Any:
        """The same for a coroutine whose work is CPU-bound (a rules backend's `extract`)."""
        async with self._lock:
            await self._give_way()
            return await step


AUTO_MODES = ("tools", "json_schema", "md_json")
# What `--mode auto` starts with, by what the server says it is (GET /models, `owned_by`); each list
# is tried best first, a server that rejects a mode moving the client to the next.
SERVER_MODES: dict[str, tuple[str, ...]] = {
    "llama.cpp": ("grammar", "json", "md_json"),  # accepts json_object + schema; 500s on json_schema
    "vllm": ("json_schema", "json", "md_json"),
    "ollama": ("json_schema", "json", "md_json"),
    "openai": AUTO_MODES,
}


def server_kind(owners: set[str]) -> str:
    """The server family from the `owned_by` of its models (llama-cpp-python says "me")."""
    if owners & {"me", "llamacpp", "llama.cpp"}:
        return "llama.cpp"
    if "vllm" in owners:
        return "vllm"
    if owners & {"library", "ollama"}:
        return "ollama"
    return "openai"


def server_message(error: openai.APIStatusError) -> str:
    """What the server said, on one line, shortened."""
    body = error.body if isinstance(error.body, dict) else {}
    detail = body.get("error", body)
    said = detail.get("message") if isinstance(detail, dict) else None
    text = str(said or detail or error.message or "")
    if not said and error.response is not None:
        text = error.response.text or text
    return " ".join(text.split())[:300]


def _rejects_mode(error: openai.APIStatusError) -> bool:
    """A 400/422/500 about what the mode sends (tool calls, response_format), not about the document."""
    if error.status_code not in (400, 422, 500):
        return False
    body = error.body if isinstance(error.body, dict) else {}
    detail = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
    return rejects_mode_text(f"{server_message(error)} {detail.get('param') or ''}")


class LLMClient:
    """The openai client and its instructor wrapper, made once and shared by every document.

    Building a client costs an SSL context (~25 ms of CPU) and drops the connection pool, so a
    backend keeps one per event loop and closes it at the end of the stream (`aclose`).
    """

    def __init__(self, config: LLMConfig) -> None:
        self.openai = _client(config)
        # auto: the modes still to try, best first; a server that rejects one moves us to the next
        self.auto = config.mode == "auto"
        self.modes = list(AUTO_MODES) if self.auto else [config.mode]
        self.instructor = instructor.from_openai(self.openai, mode=MODES[self.modes[0]])
        self.server: str | None = None  # the server family, once probed (auto mode)
        self._probe = asyncio.Lock()
        self.loop = asyncio.get_running_loop()
        # At most this many documents talk to the model at once (their re-asks and backoffs included);
        # what a document does before and after (rules, merge) does not hold a slot.
        self.gate = asyncio.Semaphore(max(1, config.max_connections))
        self.lane = Lane()

    @property
    def mode(self) -> str:
        return self.modes[0]

    async def settle_mode(self) -> str:
        """auto: ask the server once what it is (GET /models) and start with its best mode."""
        if not self.auto or self.server is not None:
            return self.mode
        async with self._probe:
            if self.server is None:
                try:
                    page = await self.openai.models.list()
                    owners = {str(getattr(m, "owned_by", "") or "").lower() for m in page.data}
                except Exception:  # noqa: BLE001 - no listing: keep the generic order
                    owners = set()
                self.server = server_kind(owners)
                self.modes = list(SERVER_MODES[self.server])
                self.instructor = instructor.from_openai(self.openai, mode=MODES[self.modes[0]])
                logger.info("model server looks like %s; using %s mode", self.server, self.modes[0])
        return self.mode

    def fall_back(self, exc: BaseException, tried: str) -> bool:
        """After a 400 that rejects what mode `tried` sends (tools, response_format), use the next mode.

        Several documents may hit the rejection at once: only the first moves the client on; the
        others just retry with the mode now in place.
        """
        if not any(isinstance(e, openai.APIStatusError) and _rejects_mode(e) for e in _chain(exc)):
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


async def _ask_once(client: Any, config: LLMConfig, request: PlannedRequest, mode: str = "") -> LLMRecord:
    kwargs: dict[str, Any] = {"temperature": config.temperature}
    limit = request.max_tokens or config.max_output_tokens
    if limit:
        kwargs["max_tokens"] = limit  # a bounded answer: a small model that starts repeating stops here
    if mode == "grammar":
        schema = request.response_model.model_json_schema()
        kwargs["extra_body"] = {"response_format": {"type": "json_object", "schema": schema}}
    token = QUOTE_SOURCE.set(request.source)
    try:
        result = await client.create(
            model=config.model,
            response_model=request.response_model,
            messages=request.messages,
            max_retries=config.max_reasks,
            **kwargs,
        )
    finally:
        QUOTE_SOURCE.reset(token)
    assert isinstance(result, LLMRecord)
    return result


# --- the document-level API -------------------------------------------------------------------


@dataclass
class LLMOutcome:
    record: TrialRecord
    usage: Usage
    quotes: dict[str, str]
    # Steps of a stepwise prompt whose answer stayed invalid ("step: why"); the others still count.
    failed_steps: list[str] = field(default_factory=list)


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
        return LLMOutcome(TrialRecord.model_validate(hit["record"]), usage, dict(hit.get("quotes", {})),
                          list(hit.get("failed_steps", [])))

    plan = plan_requests(text, prompt, max_context_tokens=config.max_context_tokens,
                         reserve_output_tokens=config.reserve_output_tokens)

    stats = RequestStats(budget=config.token_budget)
    token = REQUEST_STATS.set(stats)
    started = time.monotonic()
    own = client is None
    try:
        shared = client or LLMClient(config)
        try:
            answers: list[LLMRecord] = []
            failed: list[tuple[str, LLMResponseError]] = []
            for request in plan:
                while True:
                    tried = await shared.settle_mode()
                    try:
                        async with shared.gate:
                            answers.append(await _ask_once(shared.instructor, config, request, tried))
                        break
                    except TrialxError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - openai/instructor errors are classified below
                        if shared.fall_back(exc, tried):
                            continue
                        error = _classify(exc, stats, config)
                        if len(plan) > 1 and request.step != "record" and isinstance(error, LLMResponseError):
                            # one step of a stepwise plan answered badly (a small model echoing the
                            # schema, running on): its fields stay empty, the other steps still count
                            failed.append((request.step, error))
                            stats.last_finish = stats.last_refusal = None
                            break
                        raise error from None
            if not answers and failed:
                raise failed[0][1]
        finally:
            if own:
                await shared.aclose()
    finally:
        REQUEST_STATS.reset(token)
        usage.requests = stats.requests
        usage.input_tokens = stats.input_tokens
        usage.output_tokens = stats.output_tokens
        usage.cached_tokens = stats.cached_tokens
        usage.latency_s = round(time.monotonic() - started, 3)
        last_usage.set(usage)

    record, quotes = combine_answers(answers)
    failed_steps = [f"{step}: {error.one_line()}" for step, error in failed]
    if cache is not None:
        cache.put(key, {"record": record.model_dump(mode="json"), "quotes": quotes, "failed_steps": failed_steps},
                  model=config.model, prompt_hash=prompt.hash)
    return LLMOutcome(record, usage, quotes, failed_steps)


# The usage of the last attempt in this context, so a failure can still report what it cost.
last_usage: contextvars.ContextVar[Usage | None] = contextvars.ContextVar("trialx_llm_usage", default=None)
