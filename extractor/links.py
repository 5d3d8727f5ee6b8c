"""Arm <-> intervention links, kept both ways: an arm names its interventions, an intervention its arms.

Shared by the CT.gov importer (a source may give only one direction) and the CT.gov writer (the API
v2 study carries both), so a record written and read back links the same way.
"""

from __future__ import annotations

from typing import Any

__all__ = ["link_arms_interventions"]


def _key(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def _append(items: list[str], value: str) -> None:
    if _key(value) not in {_key(v) for v in items}:
        items.append(value)


def link_arms_interventions(arms: list[dict[str, Any]], interventions: list[dict[str, Any]]) -> None:
    """Fill whichever direction of the arm <-> intervention link the source left out (in place).

    Links are kept by position, not by name: a study may list two interventions of one name
    (one per dose arm), and each must keep only its own arms.
    """
    arm_index = {_key(a["label"]): n for n, a in enumerate(arms) if a.get("label")}
    links: set[tuple[int, int]] = set()  # (arm position, intervention position)
    for i, intervention in enumerate(interventions):
        for label in intervention.get("arm_labels") or []:
            if _key(label) in arm_index:
                links.add((arm_index[_key(label)], i))
    for a, arm in enumerate(arms):
        for name in arm.get("intervention_names") or []:
            same = [i for i, it in enumerate(interventions) if it.get("name") and _key(it["name"]) == _key(name)]
            if not any((a, i) in links for i in same):
                links.update((a, i) for i in same)
    for a, i in sorted(links):
        _append(arms[a].setdefault("intervention_names", []), interventions[i]["name"])
        _append(interventions[i].setdefault("arm_labels", []), arms[a]["label"])
