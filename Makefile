# The two commands a newcomer needs:
#   make demo   set up the environments and run the main job on the embedded default
#   make test   set up what the tests need and run them all
# Everything else is a helper for maintainers.

SHELL := /bin/bash
VENV ?= .venv
PIPELINE := $(VENV)/pipeline/bin
UV := $(VENV)/tools/bin/uv
LOCK := $(UV) pip compile --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock"

.PHONY: demo test envs lock reference bench

demo:
	scripts/bootstrap.sh pipeline superset
	$(PIPELINE)/cchc demo

test:
	scripts/bootstrap.sh --system pipeline superset spark
	$(PIPELINE)/pytest $(PYTEST_ARGS)

envs:
	scripts/bootstrap.sh pipeline superset spark

# Re-resolve the locked versions after editing envs/*/requirements.in.
lock:
	scripts/bootstrap.sh
	for env in tools pipeline superset spark; do $(LOCK) envs/$$env/requirements.in -o envs/$$env/requirements.lock; done

# Regenerate seeds/reference/*.csv from the sources (package data and seeds/sources/).
reference:
	scripts/bootstrap.sh pipeline
	$(PIPELINE)/cchc reference build

# Benchmark a named scale (ci, province, national; see bench/README.md): results go to
# bench/results/<date>.json and .md.
SCALE ?= ci
bench:
	scripts/bootstrap.sh pipeline
	$(PIPELINE)/cchc bench $(SCALE)
