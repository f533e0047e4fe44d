# Two commands matter: `make run` (the whole stack on http://127.0.0.1:8000)
# and `make test` (everything CI checks). The rest are the steps they use.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
RASA_VENV := .venv-rasa
STAMPS := instance/stamps
MODEL := models/park.tar.gz
# What `make run` and `make run-scaled` start (tests/test_sigterm.py gives them stand-ins).
PROCFILE ?= Procfile
PROCFILE_SCALED ?= Procfile.scaled
CHANGED := $(PYTHON) scripts/when-changed

# Ports and hosts; every process reads the same variables.
export GATEWAY_HOST ?= 127.0.0.1
export GATEWAY_PORT ?= 8000
export GATEWAY_WORKERS ?= 2
export RASA_HOST ?= 127.0.0.1
export RASA_PORT ?= 5005
export ACTIONS_HOST ?= 127.0.0.1
export ACTIONS_PORT ?= 5055
export ACTION_ENDPOINT_URL ?= http://$(ACTIONS_HOST):$(ACTIONS_PORT)/webhook
export TF_CPP_MIN_LOG_LEVEL ?= 2
export HF_HUB_OFFLINE := 1
export RASA_TELEMETRY_ENABLED := false

RASA_INPUTS := config.yml domain.yml data nlu knowledge/lexicon/jieba requirements-rasa.lock

.PHONY: help setup system-deps index train validate test-stories test-nlu eval bench run run-scaled test test-unit test-fast test-faults soak shell clean migrate test-pg lint format audit lock

help:
	@echo "make run        start the stack (set-up, index and training happen first when needed)"
	@echo "make test       run every check: rasa data validate and the pytest suite"
	@echo "make test-fast  the everyday loop: lint and the unit tests not marked slow (no index, servers or Rasa)"
	@echo "make lint       ruff check and ruff format --check (pyproject.toml); make test runs it first"
	@echo "other verbs: setup index train validate test-stories test-nlu eval bench run-scaled shell clean format audit lock"

setup: $(STAMPS)/app $(STAMPS)/rasa

# Idempotent: each environment is reinstalled only when its lock changes. The locks (`make lock`) pin every
# package with its hashes; .venv gets the runtime lock, then the test and developer tools' lock on top.
$(STAMPS)/app: FORCE
	@$(CHANGED) $@ requirements.lock requirements-dev.lock -- \
	  scripts/make-venv $(VENV) $(PYTHON) requirements.lock requirements-dev.lock

$(STAMPS)/rasa: FORCE
	@py310=$$(scripts/find-python310) && \
	  $(CHANGED) $@ requirements-rasa.lock -- scripts/make-venv $(RASA_VENV) "$$py310" requirements-rasa.lock

# Rewrites the locks from the hand-edited inputs (requirements.txt, requirements-dev.txt,
# requirements-rasa.txt) with pip-compile --generate-hashes. Versions already locked stay unless an
# input moves them; LOCK_ARGS=--upgrade (or "--upgrade-package NAME") moves them on. README "Dependencies".
LOCK_ARGS ?=
lock: $(STAMPS)/app
	scripts/lock $(LOCK_ARGS)

index: $(STAMPS)/app
	@$(VENV)/bin/python -m knowledge build

train: $(STAMPS)/rasa
	@$(CHANGED) $(STAMPS)/train $(RASA_INPUTS) -- bash -c 'rm -f $(MODEL) && \
	  time $(RASA_VENV)/bin/rasa train --fixed-model-name park --out models --quiet'
	@test -f $(MODEL) || { rm -f $(STAMPS)/train; $(MAKE) --no-print-directory train; }

validate: $(STAMPS)/rasa
	$(RASA_VENV)/bin/rasa data validate --quiet

# Conversation tests: every step of every story in tests/test_stories.yml must be predicted.
test-stories: train
	$(RASA_VENV)/bin/rasa test core --model $(MODEL) --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out results --quiet

# Intent classification on phrasings no one trained on (tests/data/nlu_heldout.yml,
# written from the intent definitions alone). The floor sits a little under the
# score measured when it was set, so a regression fails but noise does not.
NLU_HELDOUT_MIN_F1 ?= 0.95
test-nlu: train
	$(RASA_VENV)/bin/rasa test nlu --nlu tests/data/nlu_heldout.yml --model $(MODEL) \
	  --out results/nlu-heldout --quiet
	@$(PYTHON) scripts/nlu-score results/nlu-heldout --min $(NLU_HELDOUT_MIN_F1)

run: setup index train migrate
	@echo "Starting the gateway, Rasa, the action server, the re-index worker and the retention job. Open http://$(GATEWAY_HOST):$(GATEWAY_PORT)"
	@echo "(ready when http://$(GATEWAY_HOST):$(GATEWAY_PORT)/healthz answers 200; Ctrl-C or SIGTERM stops them all)"
	@export LEADS_API_SECRET="$${LEADS_API_SECRET:-$$(scripts/instance-secret leads-api-secret)}"; \
	  exec $(VENV)/bin/honcho start -f $(PROCFILE)

# The scale-out shape on one machine: PostgreSQL (gateway database, Rasa
# tracker store) and Redis (lock store, rate limits) from Debian, two Rasa
# servers, two action servers, and four gateway workers spreading
# conversations over both Rasa servers. See README "Scaling out".
run-scaled: setup system-deps index train
	@echo "Starting PostgreSQL, Redis, 2 x Rasa, 2 x actions and the gateway on http://$(GATEWAY_HOST):$(GATEWAY_PORT)"
	@export LEADS_API_SECRET="$${LEADS_API_SECRET:-$$(scripts/instance-secret leads-api-secret)}" \
	  RASA_PORT_2="$${RASA_PORT_2:-$$(($(RASA_PORT) + 1))}" ACTIONS_PORT_2="$${ACTIONS_PORT_2:-$$(($(ACTIONS_PORT) + 1))}"; \
	  exec $(VENV)/bin/python -m ops.stores -- bash -c '$(VENV)/bin/alembic upgrade head && exec $(VENV)/bin/honcho start -f $(PROCFILE_SCALED)'

# Everything: lint first (seconds), then unit and end-to-end tests (real services, real browser), then
# the persistence and WeChat tests again on a throwaway PostgreSQL, then the fault drills.
test: lint setup system-deps index train validate test-stories test-nlu
	$(VENV)/bin/python -m pytest
	@$(MAKE) --no-print-directory test-pg
	@$(MAKE) --no-print-directory test-faults

system-deps:
	@scripts/system-deps

# Mistakes a linter finds (unused or undefined names, ...) and drift from the formatter's style:
# ruff, configured in pyproject.toml. `make format` fixes the second kind.
lint: $(STAMPS)/app
	$(VENV)/bin/ruff check
	$(VENV)/bin/ruff format --check

format: $(STAMPS)/app
	$(VENV)/bin/ruff format

# The gateway's database (SQLite under instance/, or DATABASE_URL) at the latest schema.
migrate: $(STAMPS)/app
	@$(VENV)/bin/alembic upgrade head

# The persistence tests against a throwaway PostgreSQL (Debian's, started here).
test-pg: $(STAMPS)/app
	@scripts/with-postgres $(VENV)/bin/python -m pytest -q tests/test_persistence.py tests/test_wechat_delivery.py tests/test_visit_capacity.py

# Fault drills on the scaled-out stack (PostgreSQL + Redis, 2 Rasa, 2 action
# servers, 4 gateway workers): kill a Rasa server under load, lose the action
# servers, stop the database during a lead, restart everything.
test-faults: setup system-deps index train
	$(VENV)/bin/python -m pytest -m faults tests/faults

test-unit: $(STAMPS)/app
	$(VENV)/bin/python -m pytest -m "not e2e and not faults"

# The everyday loop: no index to build, no servers, no Rasa. Slow tests (a real index, gunicorn,
# Rasa's Python, fuzzing, benchmarks: the `slow` marker, see tests/conftest.py) run in make test.
# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set: pytest keeps the test modules it
# rewrites for assertions there, and rewriting ~100 of them again costs ~4 s of every run.
# The tests are spread over every core (pytest-xdist): 65 s on one core of a 2-core Xeon, 36 s on both.
# tests/e2e and tests/faults hold only e2e and faults tests; not collecting them spares each worker
# importing Playwright and the stack harness (~1.5 s).
test-fast: lint
	PYTHONDONTWRITEBYTECODE= $(VENV)/bin/python -m pytest -q -n logical -m "not e2e and not faults and not slow" \
	  --ignore=tests/e2e --ignore=tests/faults

# Quality reports (not part of `make test`): retrieval on the dev set with the
# ablation, 5-fold NLU cross-validation (~15 min on 2 cores) and the held-out set.
eval: setup index test-nlu
	$(VENV)/bin/python -m knowledge eval --output results/knowledge-eval.json
	$(RASA_VENV)/bin/rasa test nlu --nlu data/nlu --config config.yml --cross-validation --folds 5 \
	  --out results/nlu-cv --quiet
	@$(PYTHON) scripts/nlu-score results/nlu-cv

# Speed and memory: retrieval at 10k / 100k / 1M passages, then the whole stack under load
# (ops/bench.py: msg/s and latency against bare Rasa, long conversations, WeChat, RSS, cold start).
bench: setup index train
	$(VENV)/bin/python -m knowledge bench --output results/knowledge-bench.json
	$(VENV)/bin/python -m knowledge bench-ask --output results/ask-bench.json
	$(VENV)/bin/python -m knowledge bench-ingest --docs 1000 --quiet --output results/ingest-bench.json
	$(VENV)/bin/python -m ops.bench

# Ten minutes of 16 people chatting: 0 errors and flat memory (results/stack-soak.json).
soak: setup index train
	$(VENV)/bin/python -m ops.bench --soak 600

# Known vulnerabilities in the three locks (pip-audit, from requirements-dev.lock, reading the pins and hashes
# without installing them). It asks a vulnerability service (PIP_AUDIT_SERVICE: pypi or osv) over the network and
# fails on any finding not accepted in audit-accepted.txt, and on any package the service could not check, so an
# unreachable service never reads as a clean report. README "Dependencies".
export PIP_AUDIT_SERVICE ?= pypi
audit: $(STAMPS)/app
	@scripts/audit

shell: setup train
	scripts/serve-rasa shell

clean:
	rm -rf models instance/index instance/index-* instance/stamps .pytest_cache  # keeps the databases and instance/knowledge

FORCE:
