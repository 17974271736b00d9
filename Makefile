# Talk Like You: two commands on a fresh machine.
#   make lab    set up .venv (if missing or stale) and start Jupyter Lab on notebooks/
#   make test   set up the same way, then run pytest and every notebook in CI size
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The stamp's name carries the hash of the requirement files: edit one and the next
# `make` reinstalls; otherwise set-up takes a second.
REQ_HASH := $(shell cat requirements.txt requirements-nodeps.txt pyproject.toml | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(REQ_HASH)
# Open a browser only where there is a display to open it on.
NO_BROWSER := $(if $(DISPLAY)$(WAYLAND_DISPLAY),,--no-browser)
# Jupyter refuses to start as root unless told; containers often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: help setup lab test unit notebooks-test notebooks bench zoo-verify serve bot emoji-keywords clean-venv

help:
	@echo "make lab         set up .venv and start Jupyter Lab on notebooks/"
	@echo "make test        set up .venv, lint (ruff format --check, ruff check), run the unit tests and every notebook (COOKBOOK_SIZE=ci)"
	@echo "make bench       run benchmarks/bench_*.py and write generated/bench/*.json"
	@echo "make notebooks   re-execute every notebook in workshop size and save it with outputs"
	@echo "make zoo-verify  check every zoo file against zoo/MANIFEST.json"
	@echo "make emoji-keywords  remake data/emoji_keywords.tsv from the npm cldr-annotations-full package"
	@echo "make serve       serve the zoo chatbot, emoji and text generator on http://127.0.0.1:8000/"
	@echo "make bot EXPORT=path/to/export ME=\"Your Name\"   train a bot on your own chats and serve it"

$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@
	@echo "$(VENV) is ready"

setup: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(NO_BROWSER) $(ALLOW_ROOT)

# Unit tests and notebooks in one pytest run, so there is one summary line.
test: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	COOKBOOK_SIZE=ci $(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env -p no:cacheprovider

unit: $(STAMP)
	$(BIN)/python -m pytest tests -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH)

notebooks: $(STAMP)
	$(BIN)/python -m helpers.notebooks run notebooks/[0-9][0-9]_*.ipynb --size workshop

zoo-verify: $(STAMP)
	$(BIN)/python -m helpers.zoo verify

# data/emoji_keywords.tsv from the Unicode CLDR annotations (npm, needs the npm registry; the table is committed)
emoji-keywords: $(STAMP)
	@mkdir -p generated/cldr
	cd generated/cldr && npm pack --silent cldr-annotations-full@48.2.0
	$(BIN)/python -m helpers.emoji_data keywords generated/cldr/cldr-annotations-full-48.2.0.tgz

# HOST=0.0.0.0 makes it reachable from other machines on your network (mind the rate limit and the webhook secrets).
HOST ?= 127.0.0.1
PORT ?= 8000
serve: $(STAMP)
	$(BIN)/python -m helpers.serve run --host $(HOST) --port $(PORT)

# Your own bot: parse the export, train in workshop size (MINUTES, default 3), save to generated/your_bot
# (an existing bot there is kept: the new one goes to generated/your_bot_2, ... unless FORCE=1), serve.
bot: $(STAMP)
	@test -n "$(EXPORT)" -a -n "$(ME)" || { echo 'usage: make bot EXPORT=path/to/export ME="Your Name" [MINUTES=3] [FORMAT=whatsapp] [DATE_ORDER=dmy] [FORCE=1]'; exit 2; }
	@$(BIN)/python -m helpers.serve bot --export "$(EXPORT)" --me "$(ME)" $(if $(MINUTES),--minutes $(MINUTES)) \
		$(if $(FORMAT),--format $(FORMAT)) $(if $(DATE_ORDER),--date-order $(DATE_ORDER)) $(if $(FORCE),--force) \
		--host $(HOST) --port $(PORT)

clean-venv:
	rm -rf $(VENV)
