"""field_labels: a value's quote found as a whole word, offsets kept by the folding."""

from __future__ import annotations

from extractor.field_labels import fold, occurrences
from extractor.result import Evidence, MatchStatus


def _ev(text: str, quote: str) -> Evidence:
    at = text.index(quote)
    return Evidence(quote=quote, start=at, end=at + len(quote), status=MatchStatus.EXACT)


def test_a_quote_is_not_found_inside_a_word() -> None:
    text = "A small call for all\nSex: All"
    folded = fold(text)
    at = [a for a, _ in occurrences(_ev(text, "all"), folded)]
    assert at == [text.index("for all") + 4, text.index("All")]


def test_a_quote_that_ends_in_punctuation_may_touch_a_word() -> None:
    text = "(BOOST)-trial and (BOOST)"
    assert len(list(occurrences(_ev(text, "(BOOST)"), fold(text)))) == 2


def test_folding_keeps_offsets() -> None:
    text = "İstanbul Sex: All"
    assert len(fold(text)) == len(text) and fold(text).endswith("sex: all")
