"""ClinicalTrials.gov's own records (API v2 JSON, classic XML) read into `TrialRecord`s.

Used to make gold from CT.gov and to render benchmark pages; it imports neither the rules nor the LLM path.
"""

from extractor.importers.ctgov import import_ctgov_file, load_ctgov_file, record_from_fields
from extractor.importers.ctgov_json import parse_ctgov_study, studies_of
from extractor.importers.ctgov_xml import parse_ctgov_xml

__all__ = ["import_ctgov_file", "load_ctgov_file", "parse_ctgov_study", "parse_ctgov_xml", "record_from_fields", "studies_of"]
