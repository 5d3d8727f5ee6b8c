"""The HTTP side of the LLM path: streaming, timeouts, bounded retries, Retry-After, usage and the budget.

A chat completion is asked for as a stream and reassembled here into the ordinary JSON answer the
openai client and instructor expect (`stream_answer`), so the read timeout is an idle timeout (a slow
model that keeps producing tokens is never cut off; a silent server is detected within
`idle_timeout_s`) and `deadline_s` bounds the whole answer. A request that timed out is never
re-sent: the server may still be busy with it, and a retry would queue behind it.

The openai client runs with `max_retries=0` and an explicit timeout over `RetryingTransport`,
which retries 429 (honouring Retry-After / retry-after-ms, capped), 5xx, timeouts and
connection errors with tenacity (jittered exponential backoff, `max_attempts`). It counts usage
for every response (failed attempts and re-asks included) into the document's `RequestStats`, and
enforces the per-document token budget before each request. Waits go through the `sleep` the
caller passes, so the caller decides what tests patch.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Protocol

import httpx2
import openai
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from extractor.errors import ConfigError, TokenBudgetError
from extractor.llm.parts import estimate_tokens

__all__ = ["REQUEST_STATS", "RequestStats", "RetryingTransport", "TransportConfig", "openai_client", "rejects_mode_text",
           "stream_answer", "STREAM_CUT"]

Sleep = Callable[[float], Awaitable[None]]


class TransportConfig(Protocol):
    """The settings the transport reads (`llm.LLMConfig` has them all)."""

    base_url: str | None
    api_key: str | None
    timeout_s: float
    max_attempts: int
    backoff_max_s: float
    retry_after_cap_s: float
    max_connections: int
    idle_timeout_s: float
    deadline_s: float
    stream: bool


@dataclass
class RequestStats:
    """What one document's requests cost, summed over every attempt."""

    budget: int
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    last_status: int | None = None
    last_finish: str | None = None
    last_refusal: str | None = None
    last_error: str | None = None


REQUEST_STATS: contextvars.ContextVar[RequestStats | None] = contextvars.ContextVar("trialx_llm_stats", default=None)


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

    def __init__(self, inner: httpx2.AsyncBaseTransport, config: TransportConfig, sleep: Sleep = asyncio.sleep) -> None:
        self.inner = inner
        self.config = config
        self.sleep = sleep
        self._backoff = wait_random_exponential(multiplier=0.5, max=config.backoff_max_s)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableStatus) and exc.retry_after is not None:
            return min(exc.retry_after, self.config.retry_after_cap_s)
        return float(self._backoff(state))

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        stats = REQUEST_STATS.get()
        try:
            body = request.content
        except httpx2.RequestNotRead:  # a streamed body: no estimate, the budget still counts usage
            body = b""
        estimate = estimate_tokens(body.decode("utf-8", "replace")) if body else 0

        streamed = _streamed_request(request, body, self.config) if self.config.stream else None

        counted = request.method == "POST"  # a model listing (mode probe) is not one of the document's requests

        async def attempt() -> httpx2.Response:
            if stats is not None and counted:
                used = stats.input_tokens + stats.output_tokens
                if used + estimate > stats.budget:
                    raise TokenBudgetError(
                        f"token budget of {stats.budget} per document reached ({used} used, next request ~{estimate})",
                    )
                stats.requests += 1
            try:
                if streamed is not None:
                    response = await asyncio.wait_for(self._streamed(streamed, request, estimate),
                                                      timeout=self.config.deadline_s)
                else:
                    response = await self.inner.handle_async_request(request)
            except asyncio.TimeoutError:
                if stats is not None:
                    stats.last_error = f"no complete answer within the deadline of {self.config.deadline_s:g}s"
                raise httpx2.ReadTimeout("deadline reached", request=request) from None
            except httpx2.TimeoutException as exc:
                if stats is not None:
                    stats.last_error = (f"the model server sent nothing for {self.config.idle_timeout_s:g}s (idle timeout)"
                                        if isinstance(exc, httpx2.ReadTimeout) else type(exc).__name__)
                raise
            except httpx2.TransportError as exc:
                if stats is not None:
                    stats.last_error = f"{type(exc).__name__}"
                raise
            if stats is not None:
                stats.last_status = response.status_code
            if response.status_code == 429 or response.status_code >= 500:
                await response.aread()
                if response.status_code >= 500 and rejects_mode_text(response.text):
                    return response  # the server rejects what we send (e.g. response_format): no retry helps
                raise _RetryableStatus(response, _retry_after(response) if response.status_code == 429 else None)
            if response.status_code == 200 and stats is not None and counted:
                await response.aread()
                _count(stats, response.content)
            return response

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.config.max_attempts),
            wait=self._wait,
            # Not read timeouts: the server may still be computing that answer, and a retry would queue behind it.
            retry=retry_if_exception_type((_RetryableStatus, httpx2.ConnectTimeout, httpx2.PoolTimeout, httpx2.NetworkError)),
            sleep=lambda seconds: self.sleep(seconds),
            reraise=True,
        )
        try:
            return await retrying(attempt)
        except _RetryableStatus as exc:  # attempts exhausted: let openai raise its typed error
            return exc.response

    async def _streamed(self, streamed: httpx2.Request, original: httpx2.Request, estimate: int) -> httpx2.Response:
        response = await self.inner.handle_async_request(streamed)
        if response.status_code != 200 or "text/event-stream" not in response.headers.get("content-type", ""):
            await response.aread()
            return httpx2.Response(response.status_code, headers=_plain_headers(response), content=response.content,
                                   request=original)
        try:
            answer = await stream_answer(response, estimate, idle_s=self.config.idle_timeout_s,
                                         first_s=first_token_wait(self.config.idle_timeout_s, estimate))
        finally:
            await response.aclose()
        return httpx2.Response(200, headers={"content-type": "application/json"}, content=json.dumps(answer).encode(),
                               request=original)

    async def aclose(self) -> None:
        await self.inner.aclose()


# Marks a reassembled stream that ended with no finish_reason (openai ignores the unknown key).
STREAM_CUT = "x_trialx_stream_cut"


_MODE_WORDS = re.compile(r"tool|function|response_format|json_schema|not supported|unsupported", re.I)


def rejects_mode_text(text: str) -> bool:
    """True when a server's error text is about what a mode sends (tool calls, response_format)."""
    return bool(_MODE_WORDS.search(text))


def _plain_headers(response: httpx2.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")}


def _streamed_request(request: httpx2.Request, body: bytes, config: TransportConfig) -> httpx2.Request | None:
    """The same chat completion asked as a stream, with the idle timeout as its read timeout."""
    if request.method != "POST" or not request.url.path.endswith("/chat/completions") or not body:
        return None
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict) or payload.get("stream"):
        return None
    payload["stream"] = True
    payload["stream_options"] = {"include_usage": True}
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    idle = config.idle_timeout_s
    first = first_token_wait(idle, estimate_tokens(body.decode("utf-8", "replace")))
    timeout = {"connect": min(10.0, idle), "read": first, "write": idle, "pool": first}
    return httpx2.Request("POST", request.url, headers=headers, content=json.dumps(payload).encode(),
                          extensions={**request.extensions, "timeout": timeout})


# The slowest prompt reading we wait for before the first token (tokens/s): a 0.5B model on 2 CPU
# cores reads ~95; a busy one less. A server that sends nothing past this plus the idle timeout hangs.
SLOWEST_PROMPT_TOKENS_PER_S = 20.0


def first_token_wait(idle_s: float, prompt_tokens: int) -> float:
    """How long to wait for the first token: the idle timeout plus the prompt read at the slowest rate."""
    return idle_s + prompt_tokens / SLOWEST_PROMPT_TOKENS_PER_S


async def stream_answer(response: httpx2.Response, estimate: int, idle_s: float | None = None,
                        first_s: float | None = None) -> dict[str, Any]:
    """Read a streamed chat completion (server-sent events) into one non-streamed answer.

    After the first chunk (which may wait `first_s` while the server reads the prompt) a silence of
    `idle_s` raises httpx ReadTimeout: the server hangs.

    Usage comes from the server's final chunk when it sends one; otherwise the prompt is estimated
    (chars / 4) and each content chunk counts as one output token.
    """
    content: list[str] = []
    refusal: list[str] = []
    tools: dict[int, dict[str, Any]] = {}
    head: dict[str, Any] = {}
    finish: str | None = None
    usage: dict[str, Any] | None = None
    chunks = 0
    buffer = b""
    loop = asyncio.get_running_loop()
    try:
        # one timer for the whole stream, moved on at every chunk: cheaper than a task per chunk
        async with asyncio.timeout_at(None if first_s is None else loop.time() + first_s) as silence:
            async for raw in response.aiter_raw():
                silence.reschedule(None if idle_s is None else loop.time() + idle_s)
                buffer += raw
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    line = line.strip()
                    if not line.startswith(b"data:"):
                        continue
                    data = line[5:].strip()
                    if data == b"[DONE]":
                        continue
                    chunk = json.loads(data)
                    if not head:
                        head = {k: chunk.get(k) for k in ("id", "created", "model")}
                    if chunk.get("usage"):
                        usage = chunk["usage"]
                    for choice in chunk.get("choices") or []:
                        delta = choice.get("delta") or {}
                        if delta.get("content"):
                            content.append(delta["content"])
                            chunks += 1
                        if delta.get("refusal"):
                            refusal.append(delta["refusal"])
                        for call in delta.get("tool_calls") or []:
                            slot = tools.setdefault(int(call.get("index") or 0),
                                                    {"id": "", "type": "function", "function": {"name": "", "arguments": []}})
                            if call.get("id"):
                                slot["id"] = call["id"]
                            fn = call.get("function") or {}
                            slot["function"]["name"] += fn.get("name") or ""
                            slot["function"]["arguments"].append(fn.get("arguments") or "")
                            chunks += 1
                        if choice.get("finish_reason"):
                            finish = choice["finish_reason"]
    except TimeoutError:
        raise httpx2.ReadTimeout("idle timeout") from None
    for slot in tools.values():
        slot["function"]["arguments"] = "".join(slot["function"]["arguments"])
    message: dict[str, Any] = {"role": "assistant", "content": "".join(content) if content else None}
    if refusal:
        message["refusal"] = "".join(refusal)
    if tools:
        message["tool_calls"] = [tools[i] for i in sorted(tools)]
    if usage is None:
        usage = {"prompt_tokens": estimate, "completion_tokens": chunks, "total_tokens": estimate + chunks}
    answer = {"id": head.get("id") or "stream", "object": "chat.completion", "created": head.get("created") or 0,
              "model": head.get("model") or "", "choices": [{"index": 0, "message": message, "finish_reason": finish or "stop"}],
              "usage": usage}
    if finish is None:  # ended without a finish_reason: cut by the server (or a proxy), not finished
        answer[STREAM_CUT] = True
    return answer


def _count(stats: RequestStats, content: bytes) -> None:
    try:
        data = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return
    usage = data.get("usage") or {}
    stats.input_tokens += int(usage.get("prompt_tokens") or 0)
    stats.output_tokens += int(usage.get("completion_tokens") or 0)
    details = usage.get("prompt_tokens_details") or {}
    stats.cached_tokens += int(details.get("cached_tokens") or usage.get("cached_tokens") or 0)
    choices = data.get("choices") or [{}]
    stats.last_finish = "cut" if data.get(STREAM_CUT) else choices[0].get("finish_reason")
    stats.last_refusal = (choices[0].get("message") or {}).get("refusal")



def openai_client(config: TransportConfig, sleep: Sleep = asyncio.sleep) -> openai.AsyncOpenAI:
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
            sleep,
        ),
        timeout=httpx2.Timeout(config.timeout_s, connect=min(10.0, config.timeout_s)),
    )
    return openai.AsyncOpenAI(
        api_key=api_key or "not-needed",  # local servers ignore it; the SDK insists on one
        base_url=base_url,
        max_retries=0,
        timeout=httpx2.Timeout(config.timeout_s, connect=min(10.0, config.timeout_s)),
        http_client=http,
    )
