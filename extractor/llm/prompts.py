"""Versioned prompts: one TOML file per version under `prompts/`, validated when loaded.

A prompt is data, not code, so a user adds a version by adding `prompts/<version>.toml`
and picks it with `--prompt <version>`. Its sha256 goes into the run record and the cache
key, so an edited prompt never reuses answers made with the old text.
"""

from __future__ import annotations

import hashlib
import os
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path

from extractor.errors import PromptError

__all__ = ["Prompt", "Step", "load_prompt", "list_prompts", "prompts_dir", "DEFAULT_PROMPT"]

DEFAULT_PROMPT = "v4"
_REQUIRED_KEYS = {"system", "user"}
_OPTIONAL_KEYS = {"version", "description", "steps"}
_STEP_KEYS = {"name", "fields", "sections", "max_tokens", "instruction"}
# Variables a template may use, and the ones it must use (the document is the whole point).
_ALLOWED_VARS = {"document"}
_REQUIRED_VARS = {"document"}


def prompts_dir() -> Path:
    """`$TRIALX_PROMPTS_DIR` (read at call time) or the project's `prompts/` folder."""
    env = os.environ.get("TRIALX_PROMPTS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "prompts"


@dataclass(frozen=True)
class Step:
    """One request of a stepwise prompt: a group of fields, the sections that state them, an output bound.

    `sections`: words a section heading holds to be sent with this step (empty: the whole page).
    """

    name: str
    fields: tuple[str, ...]
    sections: tuple[str, ...] = ()
    max_tokens: int = 512
    instruction: str = ""


@dataclass(frozen=True)
class Prompt:
    version: str
    hash: str
    system: str
    user: str
    description: str = ""
    path: str = ""
    steps: tuple[Step, ...] = ()  # empty: one request with the whole record

    def render(self, *, document: str) -> list[dict[str, str]]:
        """Chat messages for one document (system, then the user turn holding the text)."""
        return [
            {"role": "system", "content": self.system.format(document=document)},
            {"role": "user", "content": self.user.format(document=document)},
        ]


def _variables(template: str, where: str) -> set[str]:
    names: set[str] = set()
    try:
        for _, field, spec, conv in string.Formatter().parse(template):
            if field is None:
                continue
            if field == "" or not field.isidentifier():
                raise PromptError(f"{where}: placeholder {{{field}}} is not a variable name (write literal braces as {{{{ }}}})")
            if spec or conv:
                raise PromptError(f"{where}: placeholder {{{field}}} must not carry a format spec or conversion")
            names.add(field)
    except ValueError as exc:
        raise PromptError(f"{where}: malformed template ({exc}); write literal braces as {{{{ and }}}}") from None
    return names


def parse_prompt(content: bytes, version: str, path: str = "<memory>") -> Prompt:
    """Validate a prompt file's bytes: known keys only, string values, known and required variables."""
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PromptError(f"prompt {path}: not valid TOML ({exc})") from None
    unknown = set(data) - _REQUIRED_KEYS - _OPTIONAL_KEYS
    if unknown:
        raise PromptError(f"prompt {path}: unknown keys {sorted(unknown)}; allowed: {sorted(_REQUIRED_KEYS | _OPTIONAL_KEYS)}")
    missing = _REQUIRED_KEYS - set(data)
    if missing:
        raise PromptError(f"prompt {path}: missing keys {sorted(missing)}")
    steps = _steps(data.pop("steps", []), path)
    for key, value in data.items():
        if not isinstance(value, str):
            raise PromptError(f"prompt {path}: '{key}' must be a string")
    if "version" in data and data["version"] != version:
        raise PromptError(f"prompt {path}: declares version {data['version']!r} but is named {version!r}")
    found: set[str] = set()
    for key in ("system", "user"):
        names = _variables(data[key], f"prompt {path} [{key}]")
        bad = names - _ALLOWED_VARS
        if bad:
            raise PromptError(f"prompt {path} [{key}]: unknown template variables {sorted(bad)}; allowed: {sorted(_ALLOWED_VARS)}")
        found |= names
    if _REQUIRED_VARS - found:
        raise PromptError(f"prompt {path}: template must contain {{document}} (missing {sorted(_REQUIRED_VARS - found)})")
    return Prompt(
        version=version,
        hash=hashlib.sha256(content).hexdigest(),
        system=data["system"],
        user=data["user"],
        description=data.get("description", ""),
        path=path,
        steps=steps,
    )


def _steps(raw: object, path: str) -> tuple[Step, ...]:
    """Validate `[[steps]]`: known keys, record fields that exist, each field in one step at most."""
    from extractor.schema import TrialRecord

    if not isinstance(raw, list):
        raise PromptError(f"prompt {path}: 'steps' must be an array of tables ([[steps]])")
    steps: list[Step] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"prompt {path} step {i + 1}"
        if not isinstance(item, dict) or set(item) - _STEP_KEYS or not {"name", "fields"} <= set(item):
            raise PromptError(f"{where}: a table with name, fields and optionally {sorted(_STEP_KEYS - {'name', 'fields'})}")
        fields = item["fields"]
        if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
            raise PromptError(f"{where}: 'fields' must be a non-empty list of field names")
        unknown = [f for f in fields if f not in TrialRecord.model_fields]
        if unknown:
            raise PromptError(f"{where}: unknown record fields {unknown}")
        twice = seen & set(fields)
        if twice:
            raise PromptError(f"{where}: fields already asked by an earlier step: {sorted(twice)}")
        seen |= set(fields)
        sections = item.get("sections", [])
        max_tokens = item.get("max_tokens", 512)
        if not isinstance(sections, list) or not all(isinstance(w, str) for w in sections):
            raise PromptError(f"{where}: 'sections' must be a list of heading words")
        if not isinstance(max_tokens, int) or max_tokens < 16:
            raise PromptError(f"{where}: 'max_tokens' must be an integer >= 16")
        if not isinstance(item.get("instruction", ""), str):
            raise PromptError(f"{where}: 'instruction' must be a string")
        steps.append(Step(str(item["name"]), tuple(fields), tuple(w.lower() for w in sections), max_tokens,
                          item.get("instruction", "")))
    if len({s.name for s in steps}) != len(steps):
        raise PromptError(f"prompt {path}: step names must be unique")
    return tuple(steps)


def list_prompts() -> list[str]:
    """The versions available in the prompts folder, sorted."""
    folder = prompts_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.toml"))


def load_prompt(version: str | None = None) -> Prompt:
    """Load a version by name ("v2") or a prompt file by path; raise PromptError when unknown or invalid."""
    version = version or DEFAULT_PROMPT
    candidate = Path(version)
    if candidate.suffix == ".toml" and candidate.is_file():
        path = candidate
        version = candidate.stem
    else:
        if "/" in version or "\\" in version or version.startswith("."):
            raise PromptError(f"prompt {version!r} is neither a version name nor an existing .toml file")
        path = prompts_dir() / f"{version}.toml"
        if not path.is_file():
            available = ", ".join(list_prompts()) or "none"
            raise PromptError(f"unknown prompt version {version!r}; available: {available}")
    return parse_prompt(path.read_bytes(), version, str(path))
