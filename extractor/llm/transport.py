"""The HTTP side of the LLM path: bounded retries, Retry-After, usage counting and the token budget.

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
from dataclasses import dataclass
from typing import Awaitable, Callable, Protocol

import httpx2
import openai
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from extractor.errors import ConfigError, TokenBudgetError
from extractor.llm.parts import estimate_tokens

__all__ = ["REQUEST_STATS", "RequestStats", "RetryingTransport", "TransportConfig", "openai_client"]

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


@dataclass
class RequestStats:
    """What one document's requests cost, summed over every attempt."""

    budget: int
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
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
            sleep=lambda seconds: self.sleep(seconds),
            reraise=True,
        )
        try:
            return await retrying(attempt)
        except _RetryableStatus as exc:  # attempts exhausted: let openai raise its typed error
            return exc.response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _count(stats: RequestStats, content: bytes) -> None:
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
        timeout=config.timeout_s,
        http_client=http,
    )
