"""Stepwise plans (prompt v4): one request per group of fields, with its sections and sub-schema."""

from __future__ import annotations

import pytest

from extractor.errors import PromptError
from extractor.llm.parts import select_sections
from extractor.llm.plan import combine_answers, plan_requests
from extractor.llm.prompts import load_prompt, parse_prompt

PAGE = """Trial of Drug B

NCT ID: NCT01234567

Study Design
RANDOMIZED
PARALLEL

Primary Outcome Measures
Overall survival [Time Frame: 2 years]

Locations
City Hospital, Lyon, France
"""


def test_select_sections_keeps_the_head_and_the_matching_sections_with_their_bare_values() -> None:
    design = select_sections(PAGE, ("design",), 10_000)
    assert "NCT01234567" in design and "RANDOMIZED" in design and "PARALLEL" in design
    assert "Overall survival" not in design and "Lyon" not in design


def test_select_sections_falls_back_to_the_page_when_no_heading_matches() -> None:
    assert "Lyon" in select_sections(PAGE, ("sponsor",), 10_000)


def test_v4_plans_one_bounded_request_per_step_with_a_small_schema() -> None:
    prompt = load_prompt("v4")
    plan = plan_requests(PAGE, prompt, max_context_tokens=8192, reserve_output_tokens=1000)
    assert [r.step for r in plan] == [s.name for s in prompt.steps]
    assert len({r.key for r in plan}) == len(plan)
    by_step = {r.step: r for r in plan}
    outcomes = by_step["outcomes"]
    assert set(outcomes.response_model.model_json_schema()["properties"]) == {"primary_outcomes", "secondary_outcomes"}
    assert "Overall survival" in outcomes.source and "RANDOMIZED" not in outcomes.source
    assert outcomes.max_tokens == prompt.steps[[s.name for s in prompt.steps].index("outcomes")].max_tokens
    # fixed instructions first, the document last: every step shares the system message
    assert len({r.messages[0]["content"] for r in plan}) == 1 and r_last_is_document(plan)


def r_last_is_document(plan: list) -> bool:  # type: ignore[type-arg]
    return all(r.messages[-1]["content"].endswith(r.source) for r in plan)


def test_step_answers_combine_into_one_record() -> None:
    plan = plan_requests(PAGE, load_prompt("v4"), max_context_tokens=8192, reserve_output_tokens=1000)
    by_step = {r.step: r for r in plan}
    a = by_step["identity"].response_model.model_validate({"nct_id": "NCT01234567"})
    b = by_step["outcomes"].response_model.model_validate({"primary_outcomes": [{"measure": "Overall survival"}]})
    record, _ = combine_answers([a, b])
    assert record.nct_id == "NCT01234567" and record.primary_outcomes[0].measure == "Overall survival"


@pytest.mark.parametrize("steps, error", [
    ('[[steps]]\nname = "a"\nfields = ["no_such_field"]\n', "unknown record fields"),
    ('[[steps]]\nname = "a"\nfields = ["nct_id"]\n[[steps]]\nname = "b"\nfields = ["nct_id"]\n', "already asked"),
    ('[[steps]]\nname = "a"\nfields = ["nct_id"]\nmax_tokens = 2\n', "max_tokens"),
])
def test_bad_steps_fail_at_load(steps: str, error: str) -> None:
    content = f'system = "x"\nuser = "{{document}}"\n{steps}'.encode()
    with pytest.raises(PromptError, match=error):
        parse_prompt(content, "vx")
