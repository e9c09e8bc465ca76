# isop-workbench — `make demo` and `make test` work on a fresh clone of a Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEBIAN_TOOLS := sleuthkit:fls ewf-tools:ewfacquire e2fsprogs:mkfs.ext4 dosfstools:mkfs.vfat mtools:mcopy \
	ntfs-3g:mkntfs qemu-utils:qemu-img gdisk:sgdisk fdisk:sfdisk libmagic1:/usr/lib/x86_64-linux-gnu/libmagic.so.1 \
	yara:yara poppler-utils:pdftoppm chromium:chromium xfsprogs:mkfs.xfs \
	genisoimage:genisoimage cryptsetup-bin:cryptsetup faketime:faketime exfatprogs:mkfs.exfat apfsprogs:mkapfs \
	file:file
DEMO_DIR ?= demo-out

.PHONY: all deps venv demo test lint pytest bench clean

all: test

# Debian packages the workbench and its tests need, installed only when missing.
deps:
	@missing=""; for pair in $(DEBIAN_TOOLS); do pkg=$${pair%%:*}; tool=$${pair#*:}; \
	  if [ "$${tool#/}" != "$$tool" ]; then [ -e "$$tool" ] || missing="$$missing $$pkg"; \
	  else command -v $$tool >/dev/null 2>&1 || [ -x /usr/sbin/$$tool ] || [ -x /sbin/$$tool ] || missing="$$missing $$pkg"; fi; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

venv: deps $(STAMP)

demo: venv
	$(BIN)/workbench demo --force $(DEMO_DIR)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy workbench parsers plugins reports
	@# import-linter reads packages from disk: give it the installed layout (parsers/ as workbench/parsers …).
	@rm -rf .lint && mkdir -p .lint/workbench && cp -r workbench/. .lint/workbench/ && \
	  for d in parsers plugins reports rules; do cp -r $$d .lint/workbench/$$d; done
	cd .lint && PYTHONPATH=. ../$(BIN)/lint-imports ../pyproject.toml

pytest: venv
	$(BIN)/python -m pytest -q -n auto --dist loadfile

test: lint pytest

bench: venv
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
