"""trialx's eval harness: field-aware scoring, saved runs, statistics and reports."""
