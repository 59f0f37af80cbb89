# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/mentorbot run

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy bot/domain

# The database the tests run on: sqlite (the default) or postgresql. PostgreSQL uses the
# server in TEST_DATABASE_URL when set, else a throwaway one that .ci/postgres starts and stops.
DB ?= sqlite

test: lint typecheck
	@case "$(DB)" in \
		sqlite) echo "pytest on SQLite"; env -u TEST_DATABASE_URL $(BIN)/pytest ;; \
		postgresql) echo "pytest on PostgreSQL"; .ci/postgres run $(BIN)/pytest ;; \
		*) echo "DB must be sqlite or postgresql, not '$(DB)'" >&2; exit 2 ;; \
	esac

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
