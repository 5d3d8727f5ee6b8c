"""Registry-sized runs through a batch engine: OpenAI's Batch API, or vLLM's `run_batch` runner.

`prepare` writes the requests the real-time path would send (the same plan, prompt, schema, mode
and sampling) as Batch API JSON Lines, with the rules' pass done once and kept; `rounds.submit`
creates the batches (idempotently), `rounds.gather` fetches what came back, `collect` turns the
answers into the same result lines as `trialx extract`, and `rounds.retry` sends failures again.
Every file in the batch directory is written crash-safe (`store`). Imports only `extractor`.
"""

from batch.answers import Answers
from batch.collect import Summary, collect, manifest_config, manifest_prompt
from batch.engine import TERMINAL, batches, client, refresh
from batch.prepare import Limits, custom_id, prepare, split_custom_id
from batch.rounds import gather, pending_files, retry, submit, unfinished
from batch.store import BatchDir

__all__ = [
    "Answers",
    "BatchDir",
    "Limits",
    "Summary",
    "TERMINAL",
    "batches",
    "client",
    "collect",
    "custom_id",
    "gather",
    "manifest_config",
    "manifest_prompt",
    "pending_files",
    "prepare",
    "refresh",
    "retry",
    "split_custom_id",
    "submit",
    "unfinished",
]
