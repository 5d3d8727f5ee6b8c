"""The LLM path: any OpenAI-compatible server through openai + instructor, with versioned prompts.

`plan` says which requests a document needs (`requests` turns one into an HTTP body and reads its answer back, for batch engines), `client` sends them (modes, re-asks, the response `cache`), `transport` retries
and counts usage, `wire` is what the model sees and answers, `prompts` loads the prompt files;
`LLMBackend` puts it behind the pipeline's `Backend` interface. It never imports the rules.
"""

from extractor.llm.backend import LLMBackend, config_from_settings
from extractor.llm.cache import ResponseCache, cache_key, cache_path
from extractor.llm.client import LLMClient, LLMConfig, LLMOutcome, default_model, extract_record, llm_configured
from extractor.llm.parts import estimate_tokens, merge_parts, split_document
from extractor.llm.plan import PlannedRequest, combine_answers, plan_requests
from extractor.llm.requests import AnswerUsage, answer_usage, batch_mode, parse_answer, request_body
from extractor.llm.prompts import DEFAULT_PROMPT, Prompt, list_prompts, load_prompt
from extractor.llm.wire import SCHEMA_HASH, WIRE_SCHEMA, LLMRecord, compact_schema, schema_overhead_tokens

__all__ = [
    "AnswerUsage",
    "answer_usage",
    "batch_mode",
    "parse_answer",
    "request_body",
    "DEFAULT_PROMPT",
    "LLMBackend",
    "LLMClient",
    "LLMConfig",
    "LLMOutcome",
    "LLMRecord",
    "PlannedRequest",
    "Prompt",
    "ResponseCache",
    "SCHEMA_HASH",
    "WIRE_SCHEMA",
    "cache_key",
    "combine_answers",
    "cache_path",
    "compact_schema",
    "config_from_settings",
    "default_model",
    "estimate_tokens",
    "extract_record",
    "list_prompts",
    "llm_configured",
    "load_prompt",
    "merge_parts",
    "plan_requests",
    "schema_overhead_tokens",
    "split_document",
]
