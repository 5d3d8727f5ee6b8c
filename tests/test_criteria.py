"""The eligibility splitter: headings, bullets, numbering, nesting, wraps, run-on lines."""

from __future__ import annotations

import pytest

from extractor.criteria import split_criteria, split_items, strip_marker

LEGACY_WRAPPED = """
        Inclusion Criteria:

          -  age 18 years or older with a diagnosis of type 2 diabetes for at least one
             year before screening

          -  HbA1c between 7% and 10%

               -  measured within 4 weeks

        Exclusion Criteria:

          -  pregnancy
"""

CRITERIA_CASES = [
    pytest.param(
        LEGACY_WRAPPED,
        [
            "age 18 years or older with a diagnosis of type 2 diabetes for at least one year before screening",
            "HbA1c between 7% and 10%",
            "measured within 4 weeks",
        ],
        ["pregnancy"],
        id="legacy-xml-wrapped-nested",
    ),
    pytest.param(
        "Inclusion Criteria:\n\n* Adults\n* Active disease as defined by:\n\n  * score \\>= 4\n  * pain\n\n"
        "Exclusion Criteria:\n\n* Prior surgery",
        ["Adults", "Active disease as defined by:", "score \\>= 4", "pain"],
        ["Prior surgery"],
        id="v2-markdown-nested",
    ),
    pytest.param(
        "INCLUSION CRITERIA\n1. Age 18-65\n2) Signed consent\n(3) Able to swallow\nEXCLUSION CRITERIA:\n1. Pregnant",
        ["Age 18-65", "Signed consent", "Able to swallow"],
        ["Pregnant"],
        id="numbering-styles-upper-case-headings",
    ),
    pytest.param(
        "Inclusion criteria: 1. Age 18-65; 2. Diagnosed with X; 3. Signed consent. "
        "Exclusion criteria: 1. Pregnant 2. Allergic to drug",
        ["Age 18-65;", "Diagnosed with X;", "Signed consent."],
        ["Pregnant", "Allergic to drug"],
        id="run-on-one-line-with-inline-headings",
    ),
    pytest.param(
        "Key Inclusion Criteria:\n- Adults\nKey Exclusion Criteria:\n- Children",
        ["Adults"],
        ["Children"],
        id="key-headings",
    ),
    pytest.param(
        "**Inclusion criteria**:\n• Adults\n⁃ Women\n① Smokers\nExclusion:\n• None of the above",
        ["Adults", "Women", "Smokers"],
        ["None of the above"],
        id="plain-text-bullets-and-bold-heading",
    ),
    pytest.param(
        "Adults aged 18 to 65\nSigned informed consent",
        ["Adults aged 18 to 65", "Signed informed consent"],
        [],
        id="no-heading-is-inclusion",
    ),
    pytest.param(
        "Inclusion Criteria:\n- Adults\n\nTransplant Exclusion:\n- Prior transplant",
        ["Adults"],
        ["Transplant Exclusion:", "Prior transplant"],
        id="qualified-heading-kept-as-lead-in",
    ),
    pytest.param("", [], [], id="empty"),
]


@pytest.mark.parametrize(("text", "inclusion", "exclusion"), CRITERIA_CASES)
def test_split_criteria(text: str, inclusion: list[str], exclusion: list[str]) -> None:
    assert split_criteria(text) == (inclusion, exclusion)


ITEM_CASES = [
    pytest.param("1. a first item 2. a second item 3. a third item", ["a first item", "a second item", "a third item"],
                 id="run-on-numbered"),
    pytest.param("1. dose of 2. 5 mg is not a list", ["dose of", "5 mg is not a list"], id="run-on-follows-sequence"),
    pytest.param("3. eGFR above 60 and 1. 5 times ULN", ["eGFR above 60 and 1. 5 times ULN"],
                 id="out-of-sequence-number-is-not-split"),
    pytest.param("Weight 2.5 kg or more", ["Weight 2.5 kg or more"], id="decimal-is-not-numbering"),
    pytest.param("• one • two • three", ["one", "two", "three"], id="inline-bullets"),
    pytest.param("①first②second", ["first", "second"], id="circled-numbers"),
    pytest.param(
        "  -  a long item that wraps past the\n     hanging indent\n  -  short",
        ["a long item that wraps past the hanging indent", "short"],
        id="hanging-indent-continuation",
    ),
    pytest.param(
        "Patients must have all of the following:\nAge over 18\nNormal renal function",
        ["Patients must have all of the following:", "Age over 18", "Normal renal function"],
        id="lead-in-then-one-criterion-per-line",
    ),
    pytest.param(
        "a) first choice\nb) second choice\n(c) third choice",
        ["first choice", "second choice", "third choice"],
        id="lettered",
    ),
    pytest.param(
        "- item one\n\n  with a second paragraph\n- item two",
        ["item one with a second paragraph", "item two"],
        id="second-paragraph-of-a-bullet",
    ),
    pytest.param("-\n-  real item", ["real item"], id="bare-marker-dropped"),
    pytest.param(
        "Histologically confirmed adenocarcinoma of the pancreas, any stage at diagnosis\nAge 18 or older\nECOG 0-1",
        ["Histologically confirmed adenocarcinoma of the pancreas, any stage at diagnosis", "Age 18 or older",
         "ECOG 0-1"],
        id="one-long-line-is-not-a-wrap",
    ),
]


@pytest.mark.parametrize(("text", "items"), ITEM_CASES)
def test_split_items(text: str, items: list[str]) -> None:
    assert split_items(text) == items


def test_greedy_wrap_is_joined_but_short_lines_are_not() -> None:
    """A line is a wrap when the next word would not have fitted; a short line ends an item."""
    wrapped = (
        "Subjects should have no general medical illness that is primary (i.e., appears to be\n"
        "causing the mood disorder) and no history of seizures or head injury within the past\n"
        "five years.\n"
        "Short line.\n"
        "Another criterion that stands alone."
    )
    assert split_items(wrapped) == [
        "Subjects should have no general medical illness that is primary (i.e., appears to be causing the mood "
        "disorder) and no history of seizures or head injury within the past five years.",
        "Short line.",
        "Another criterion that stands alone.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1. Age", "Age"), ("(2) Age", "Age"), ("• Age", "Age"), ("⁃ Age", "Age"), ("① Age", "Age"),
     ("- Age", "Age"), ("Age 1.5", "Age 1.5"), ("2.5 kg", "2.5 kg"), ("-", "-")],
)
def test_strip_marker(text: str, expected: str) -> None:
    assert strip_marker(text) == expected


# gold/GUIDELINES.md §6: where numbering inside a line splits and where it stays inline.
GUIDELINE_CASES = [
    # 1. an enumeration of the item's own stays inside its item
    pytest.param(
        "• Good general health: ① no anaemia; (2) Heart: no failure; ③ kidneys normal\n• Signed consent",
        ["Good general health: ① no anaemia; (2) Heart: no failure; ③ kidneys normal", "Signed consent"],
        id="inline-circled-and-paren-numbers-inside-a-bullet",
    ),
    pytest.param(
        "- Stable disease, that is both of these are met: 1. two scans a month apart 2. markers normal\n- Adults",
        ["Stable disease, that is both of these are met: 1. two scans a month apart 2. markers normal", "Adults"],
        id="inline-numbered-enumeration-inside-a-dash-bullet",
    ),
    pytest.param(
        "1. Able to: 1. walk 2. talk\n2. Adults",
        ["Able to: 1. walk 2. talk", "Adults"],
        id="inline-enumeration-keeps-its-own-2-though-the-list-expects-2",
    ),
    # 2. a lettered or numbered sub-list on the line after a lead-in ending with ":"
    pytest.param(
        "- Any one of these:\n\nA. first thing B. second thing (with 2 parts) C. third thing\n- Adults",
        ["Any one of these:", "first thing", "second thing (with 2 parts)", "third thing", "Adults"],
        id="lettered-sub-list-on-one-line-after-lead-in",
    ),
    pytest.param(
        "- Either of:\nA. low dose\nB. high dose C. no dose",
        ["Either of:", "low dose", "high dose", "no dose"],
        id="lettered-sub-list-continued-on-the-next-line",
    ),
    pytest.param(
        "- Adults\nA. mild case B. severe case",
        ["Adults", "A. mild case B. severe case"],
        id="letters-without-a-lead-in-stay-inline",
    ),
    # 3. markup leftovers and lone punctuation are no criteria
    pytest.param(
        "1. Adults\n<!-- -->\n2. Consent\n;\n3. Fit <!-- note --> for surgery",
        ["Adults", "Consent", "Fit for surgery"],
        id="html-comment-and-punctuation-lines-dropped",
    ),
    # 4. run-on numbers continue an enclosing list, tracked on a stack of open levels
    pytest.param(
        "1. Alpha\n2. Beta\n3. Gamma, one of:\n1. gamma one\n2. gamma two 4. Delta 5.Epsilon\n6. Zeta",
        ["Alpha", "Beta", "Gamma, one of:", "gamma one", "gamma two", "Delta", "Epsilon", "Zeta"],
        id="run-on-continues-the-outer-list-after-a-nested-one",
    ),
    pytest.param(
        "1. Alpha\n2. Labs normal:\nBlood:\n1. Hb ok\n2. Platelets 1.5 g. 3.Next outer item\n4. Last",
        ["Alpha", "Labs normal:", "Blood:", "Hb ok", "Platelets 1.5 g.", "Next outer item", "Last"],
        id="outer-number-without-space-after-sub-heading-and-sub-list",
    ),
    pytest.param(
        "1. Alpha\n2. Beta, one of:\n1. beta one 7. not a list item",
        ["Alpha", "Beta, one of:", "beta one 7. not a list item"],
        id="number-continuing-no-open-list-stays-inline",
    ),
]


@pytest.mark.parametrize(("text", "items"), GUIDELINE_CASES)
def test_split_items_follows_guidelines(text: str, items: list[str]) -> None:
    assert split_items(text) == items


def test_guideline_cases_through_headings() -> None:
    """The same rules hold per section when split_criteria cuts the headings first."""
    text = "Inclusion Criteria:\n- Any of:\nA. one B. two\nExclusion Criteria:\n1. Sick\n<!-- -->\n2. Pregnant"
    assert split_criteria(text) == (["Any of:", "one", "two"], ["Sick", "Pregnant"])


def test_one_paragraph_of_semicolon_clauses_is_a_list() -> None:
    assert split_items("Adults over 50; able to walk (with aid; or not); signed consent") == [
        "Adults over 50", "able to walk (with aid; or not)", "signed consent"]
    # one item per line already: the semicolons inside a line stay
    assert split_items("- Stable angina; or prior MI\n- Signed consent") == ["Stable angina; or prior MI", "Signed consent"]
    assert split_items("Only one clause;") == ["Only one clause;"]
