"""What wraps a TrialRecord so a reviewer can trust it: evidence, provenance, issues, usage."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from extractor.schema import TrialRecord


class MatchStatus(str, Enum):
    EXACT = "exact"
    NORMALIZED = "normalized"  # found through a display form or whitespace/case folding
    FUZZY = "fuzzy"
    NONE = "none"


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Source(str, Enum):
    LLM = "llm"
    RULES = "rules"
    BOTH = "both"
    NONE = "none"


class Evidence(BaseModel):
    """The quote a value rests on and where it sits in the source text."""

    model_config = ConfigDict(extra="forbid")

    quote: str | None = None
    start: int | None = None
    end: int | None = None
    status: MatchStatus = MatchStatus.NONE
    score: float | None = None  # similarity for fuzzy matches, 0-100


class Provenance(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source
    agreed: bool | None = None  # None when only one source gave a value


class Issue(BaseModel):
    """A finding of a consistency or grounding check; `code` is stable, `message` one line."""

    model_config = ConfigDict(extra="forbid")

    code: str
    severity: Severity
    paths: list[str] = Field(default_factory=list)
    message: str


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    prompt_version: str | None = None
    prompt_hash: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens the server reused from its prefix cache, when it reports them
    requests: int = 0
    cache_hit: bool = False
    latency_s: float = 0.0
    batch: bool = False  # answered by a batch engine: costed at the batch price


class ExtractionResult(BaseModel):
    """One line of `trialx extract` output (see spec/cli.md)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    source: str
    backend: str
    record: TrialRecord
    evidence: dict[str, Evidence] = Field(default_factory=dict)
    provenance: dict[str, Provenance] = Field(default_factory=dict)
    issues: list[Issue] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)

    def to_json_line(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class DocumentError(BaseModel):
    """The line written for a document that could not be processed; the batch goes on."""

    model_config = ConfigDict(extra="forbid")

    id: str
    source: str
    error: dict[str, str]
