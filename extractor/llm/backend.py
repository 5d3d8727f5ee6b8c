"""The model as a `Backend`: the model's record merged with the rules', or the rules on failure.

The rules are handed in as a `Backend` (the pipeline builds `RulesBackend(checks=False)`), so this
package never imports the rules: the request goes out first and the rules pass runs while the
model works; the merge grounds and checks the final record.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from extractor.backend import Backend, BackendName, Settings
from extractor.errors import ConfigError, LLMError
from extractor.llm.client import LLMClient, LLMConfig, LLMOutcome, extract_record, last_usage, llm_configured
from extractor.llm.prompts import load_prompt
from extractor.merge import llm_failed, merge
from extractor.result import ExtractionResult, Issue, Severity, Usage

__all__ = ["LLMBackend", "config_from_settings"]


def config_from_settings(settings: Settings) -> LLMConfig:
    """The LLM configuration a run's settings ask for (unset options keep their defaults)."""
    chosen: dict[str, Any] = {"model": settings.model, "prompt_version": settings.prompt_version, "mode": settings.mode,
                              "idle_timeout_s": settings.idle_timeout, "deadline_s": settings.deadline}
    return LLMConfig(base_url=settings.base_url, use_cache=settings.use_cache, max_connections=max(1, settings.concurrency),
                     **{k: v for k, v in chosen.items() if v is not None})


class LLMBackend(Backend):
    """The pipeline's LLM implementation; one client serves every document of a stream.

    `rules` is the backend whose result the model's record is merged with (and which stands when
    the model fails). Give it without its consistency checks (`RulesBackend(checks=False)`): the
    merge checks the final record, and `llm_failed` adds them when the rules' result stands.
    At most `config.max_connections` documents wait on the model at once; the rules pass and the
    merge do not hold a slot.
    """

    name: ClassVar[BackendName] = "llm"

    def __init__(self, config: LLMConfig, rules: Backend) -> None:
        self.config = config
        self.rules = rules
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

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.loop is asyncio.get_running_loop():
            await client.aclose()

    async def ask(self, text: str) -> LLMOutcome | tuple[LLMError, Usage]:
        """The model's outcome, or the error with what the attempts cost."""
        last_usage.set(None)
        try:
            return await extract_record(text, self.config, self.prompt, self.client())
        except LLMError as exc:
            usage = last_usage.get() or Usage(model=self.config.model, prompt_version=self.prompt.version,
                                              prompt_hash=self.prompt.hash)
            return exc, usage

    def finish(self, answer: LLMOutcome | tuple[LLMError, Usage], rules: ExtractionResult, text: str) -> ExtractionResult:
        """Merge the model's answer with the rules' result, or keep the rules' result flagged LLM_FAILED."""
        if isinstance(answer, tuple):
            return llm_failed(rules, *answer, checked=False)
        result = merge(answer.record, rules, text)
        result.usage = answer.usage
        for failed in answer.failed_steps:
            result.issues.append(Issue(code="LLM_STEP_FAILED", severity=Severity.WARNING, paths=[],
                                       message=f"model step {failed}; the rules' values stand for its fields"))
        return result

    async def extract(self, doc_id: str, source: str, text: str) -> ExtractionResult:
        """Send the document to the model first, then run the rules while the model works."""
        request = asyncio.ensure_future(self.ask(text))
        await asyncio.sleep(0)  # the request takes its slot (or queues for one) before the rules run
        lane = self.client().lane
        try:
            first = await lane.run_async(self.rules.extract(doc_id, source, text))
        except BaseException:
            request.cancel()
            raise
        answer = await request
        return await lane.run(self.finish, answer, first, text)
