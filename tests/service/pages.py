"""Small registry pages for the service tests, written here (numbered, so each document differs)."""

from __future__ import annotations

from typing import Any

PAGE = """Trial {i} of Drug {i} in Adults With Asthma

NCT ID: NCT0{nct}
Overall Status: Recruiting
Study Type: Interventional
Phase: Phase 2
Enrollment: {n} participants (Estimated)
Start Date: March 2021
Lead Sponsor: Sponsor {i}

Eligibility
Sex: All
Minimum Age: 18 Years

Inclusion Criteria:
1. Adults aged 18 years or older
2. Signed informed consent
"""


def page(i: int) -> str:
    return PAGE.format(i=i, nct=1000000 + i, n=10 + i)


def stable(line: dict[str, Any]) -> dict[str, Any]:
    """A result line without its timing, for comparing runs."""
    usage = dict(line.get("usage") or {})
    usage.pop("latency_s", None)
    return {**line, "usage": usage}
