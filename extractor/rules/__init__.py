"""The deterministic extractor: a registry page's text in, the `TrialRecord` its labels state out.

`reader.extract_rules` is the one entry: it segments the page (`segment`, `header_tables`), reads
each group of fields (`titles`, `design`, `eligibility`, `parties`, `arms_outcomes`,
`table_records`, with the shared `section_values`), parses values strictly (`parsers`,
`site_parsers`, the label `lexicon`) and, for labels the lexicon does not know, tries the
`keyword_fallback`. `RulesBackend` puts it behind the pipeline's `Backend` interface.
"""

from extractor.rules.backend import RulesBackend, assess, extract_rules_result
from extractor.rules.reader import extract_rules

__all__ = ["RulesBackend", "assess", "extract_rules", "extract_rules_result"]
