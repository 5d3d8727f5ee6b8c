PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo bench typecheck clean

# A fresh clone needs only Python >= 3.11 and make: the venv and the install are made on demand.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

# The rules path on the bundled sample page, pretty-printed: no API key, no network.
demo: $(STAMP)
	out=$$($(BIN)/trialx extract samples/NCT09876543.txt --backend rules) && \
		printf '%s\n' "$$out" | $(BIN)/python -m json.tool --json-lines

BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# Speed, cost and scale beside langextract; writes benchmarks/results/latest.json and benchmarks/RESULTS.md.
bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run

typecheck: $(STAMP)
	$(BIN)/python -m mypy extractor evals review service

clean:
	rm -rf $(VENV) build *.egg-info
