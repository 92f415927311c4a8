# Two commands do everything on a fresh machine: `make demo` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTHON ?= python3

.PHONY: setup demo screenshots test lint clean

setup: $(STAMP)

# torch first, pinned exactly, so pip takes the local CPU build rather than a CUDA one.
# Headless Chromium (for tests/test_digest_browser.py) only if missing and we are root; without
# it that test skips locally and fails on CI.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import venv' 2>/dev/null || (apt-get update && apt-get install -y python3-venv)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update && apt-get install -y --no-install-recommends chromium fonts-dejavu-core; } || echo "chromium not installed: the browser test will be skipped"
	touch $(STAMP)

demo: setup
	$(VENV)/bin/radar demo

# The README's pictures, remade from the demo's store and digests (after `make demo`).
screenshots: setup
	$(PY) -m demo.screenshots demo-output/watchlist.yaml demo/

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) demo-output .pytest_cache
