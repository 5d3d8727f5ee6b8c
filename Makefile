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

# The rules path on the bundled sample page, as a table a person reads in one screen: no API key, no network.
demo: $(STAMP)
	$(BIN)/trialx extract samples/NCT09876543.txt --backend rules --format table
	@echo "JSON line (the contract): $(BIN)/trialx extract samples/NCT09876543.txt --backend rules"
	@echo "Every value path in full: $(BIN)/trialx extract samples/NCT09876543.txt --backend rules --format table --full"

BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# Speed, cost and scale beside langextract; writes benchmarks/results/latest.json and benchmarks/RESULTS.md.
bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run

typecheck: $(STAMP)
	$(BIN)/python -m mypy extractor evals batch review service

clean:
	rm -rf $(VENV) build *.egg-info

# A tiny local model (Qwen2.5-Coder-0.5B; MODEL=smollm2-135m-instruct for the second) served on
# 127.0.0.1:$(PORT) for trying and testing the LLM path; runtime and GGUFs cached outside the repo.
PORT ?= 8080
MODEL ?= qwen2.5-coder-0.5b-instruct
.PHONY: model-server test-live
model-server:
	MODEL=$(MODEL) PORT=$(PORT) $(PYTHON) scripts/model_server.py

# Live tests against the real local model: starts the server, runs `-m live`, stops it.
test-live: $(STAMP)
	$(PYTHON) scripts/model_server.py --prepare-only >/dev/null
	MODEL=$(MODEL) PORT=$(PORT) $(PYTHON) scripts/model_server.py > .venv/model-server.log 2>&1 & pid=$$!; \
	for i in $$(seq 60); do curl -sf http://127.0.0.1:$(PORT)/v1/models >/dev/null && break; sleep 1; done; \
	TRIALX_LIVE_BASE_URL=http://127.0.0.1:$(PORT)/v1 $(BIN)/python -m pytest -m live -q; rc=$$?; kill $$pid; exit $$rc
