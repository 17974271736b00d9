"""The model zoo: trained models with a model card each, and a checksum manifest.

Layout::

    zoo/MANIFEST.json              {"02_word2vec/vectors.keras": {"sha256": ..., "bytes": ...}, ...}
    zoo/NN_topic/NAME.keras        the model (loaded with safe_mode=True)
    zoo/NN_topic/NAME.json         its card: data, hyperparameters, metrics, versions, reproduce command

Every file is checked against the manifest before it is loaded, so a truncated
download or a hand-edited file gives a clear error instead of a strange model.

Command line::

    python -m helpers.zoo list      # every model with size, metrics and status
    python -m helpers.zoo verify    # exit 1 if any file is missing or changed

The zoo also ships a few arrays that every fresh machine would otherwise compute into ``generated/cache/``
(:data:`CACHE_SEEDS`, read by :func:`cached_vectors`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
import warnings
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from . import paths
from .model_card import REQUIRED as REQUIRED_CARD_KEYS  # noqa: F401 (the keys every card must have)
from .model_card import ModelCard

MANIFEST_NAME = "MANIFEST.json"

#: Arrays shipped for caches that a fresh machine would otherwise fill, each under its cache file's name (which
#: hashes the texts and the model it was read from): the zoo bot's bank of replies as MiniLM's sentence channel and
#: the bigger reader read it, about four minutes on a 2-core AMD EPYC. Written by
#: ``python -m helpers.selector bank-vectors``; its card is ``04_seq2seq/you_replies_vectors.json``.
CACHE_SEEDS = "04_seq2seq/you_replies_vectors.npz"


class ZooError(RuntimeError):
    """A zoo file is unknown, missing or does not match its checksum."""


def _root(root: Path | None) -> Path:
    return Path(root) if root is not None else paths.ZOO


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Return the hex sha256 of a file, read in chunks.

    Taught in: 01_corpus_download (download checks) and every notebook that saves to the zoo.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(root: Path | None = None, missing_ok: bool = False) -> dict:
    """Return the manifest (relative path -> {"sha256", "bytes"}), checked entry by entry.

    A missing manifest is an error (a zoo without one cannot be trusted), unless ``missing_ok``
    (a new zoo being written: ``save`` and ``add_file``). A manifest that is not an object of
    ``{"sha256": 64 hex digits, "bytes": n}`` entries, or an entry that points outside the zoo
    folder, is a :class:`ZooError` naming it.
    """
    root = _root(root)
    manifest = root / MANIFEST_NAME
    if not manifest.exists():
        if missing_ok:
            return {}
        raise ZooError(
            f"{manifest} is missing, so no zoo file can be verified; restore it with "
            f"`git checkout -- zoo/{MANIFEST_NAME}`"
        )
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise ZooError(
            f"{manifest} is not valid JSON ({err}); restore it with `git checkout -- zoo/{MANIFEST_NAME}`"
        ) from None
    if not isinstance(entries, dict):
        raise ZooError(
            f"{manifest} must be an object of file -> {{sha256, bytes}}, not a {type(entries).__name__}; "
            f"restore it with `git checkout -- zoo/{MANIFEST_NAME}`"
        )
    for relative, entry in entries.items():
        _check_entry(manifest, root, relative, entry)
    return entries


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _check_entry(manifest: Path, root: Path, relative: str, entry) -> None:
    where = f"{manifest}: entry {relative!r}"
    parts = Path(relative).parts
    if Path(relative).is_absolute() or ".." in parts or not parts or "\\" in relative:
        raise ZooError(
            f"{where} points outside the zoo folder; restore the manifest with `git checkout -- zoo/{MANIFEST_NAME}`"
        )
    if not (root / relative).resolve().is_relative_to(root.resolve()):
        raise ZooError(f"{where} points outside the zoo folder (through a link)")
    if (
        not isinstance(entry, dict)
        or not isinstance(entry.get("sha256"), str)
        or not _SHA256.fullmatch(entry["sha256"])
        or not isinstance(entry.get("bytes"), int)
    ):
        raise ZooError(
            f"{where} needs a 64-digit hex 'sha256' and a 'bytes' count; restore the manifest with "
            f"`git checkout -- zoo/{MANIFEST_NAME}`"
        )


def _write_manifest(manifest: dict, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    text = json.dumps(dict(sorted(manifest.items())), indent=2) + "\n"
    (root / MANIFEST_NAME).write_text(text, encoding="utf-8")


def add_file(relative: str, root: Path | None = None) -> dict:
    """Record (or refresh) one zoo file's checksum in the manifest and return its entry.

    Use it for files that are not Keras models (a vocabulary, an embedding matrix).
    Taught in: 02_word2vec (the embedding hand-off).
    """
    root = _root(root)
    path = root / relative
    if not path.is_file():
        raise ZooError(f"cannot add {path} to the zoo: no such file")
    manifest = read_manifest(root, missing_ok=True)
    entry = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
    manifest[Path(relative).as_posix()] = entry
    _write_manifest(manifest, root)
    return entry


def _reproduce_hint(relative: str, root: Path, manifest: dict) -> str:
    """How to get a file back. The card's ``reproduce`` command is quoted only when the card itself
    matches its checksum: a changed card is data, never advice."""
    card_relative = relative.rsplit(".", 1)[0] + ".json"
    card_path = root / card_relative
    hint = f"restore it with `git checkout -- zoo/{relative}`"
    entry = manifest.get(card_relative)
    if card_relative != relative and entry and card_path.is_file() and sha256_file(card_path) == entry["sha256"]:
        try:
            command = json.loads(card_path.read_text(encoding="utf-8")).get("reproduce")
        except (json.JSONDecodeError, UnicodeDecodeError):
            command = None
        if isinstance(command, str) and command.startswith("python -m helpers.") and "\n" not in command:
            hint += f" or retrain it with `{command}`"
    return hint


def verify_file(relative: str, root: Path | None = None) -> Path:
    """Check one zoo file against the manifest; return its path or raise :class:`ZooError`.

    Taught in: every notebook that loads a zoo model (it happens inside :func:`load`).
    """
    root = _root(root)
    relative = Path(relative).as_posix()
    manifest = read_manifest(root)
    path = root / relative
    if relative not in manifest:
        known = ", ".join(sorted(manifest)) or "none yet"
        raise ZooError(f"zoo/{relative} is not in zoo/{MANIFEST_NAME} (known files: {known})")
    if not path.is_file():
        raise ZooError(f"zoo/{relative} is missing; {_reproduce_hint(relative, root, manifest)}")
    actual = sha256_file(path)
    if actual != manifest[relative]["sha256"]:
        raise ZooError(
            f"zoo/{relative} does not match its checksum in zoo/{MANIFEST_NAME} "
            f"(expected {manifest[relative]['sha256'][:12]}..., found {actual[:12]}...): "
            f"the file is damaged or was changed; {_reproduce_hint(relative, root, manifest)}"
        )
    return path


@lru_cache(maxsize=4)
def _seeds(root: Path):
    """The shipped arrays of :data:`CACHE_SEEDS` (verified once per process), or None where the zoo has none."""
    if CACHE_SEEDS not in read_manifest(root, missing_ok=True):
        return None
    with np.load(verify_file(CACHE_SEEDS, root), allow_pickle=False) as seeds:
        return {stem: seeds[stem] for stem in seeds.files}


_RECORDING: list[dict] = []  # open fresh_caches() blocks, innermost last


@contextmanager
def fresh_caches() -> Iterator[dict]:
    """Within the block :func:`cached_vectors` computes every array afresh (no shipped copy, no cache file) and
    records it: yields ``{stem: (vectors, seconds)}``. How ``python -m helpers.selector bank-vectors`` makes the
    arrays the zoo ships."""
    found: dict = {}
    _RECORDING.append(found)
    try:
        yield found
    finally:
        _RECORDING.remove(found)


def cached_vectors(
    path: Path, shape: tuple[int, int], compute: Callable[[], np.ndarray], root: Path | None = None
) -> np.ndarray:
    """The float32 array of shape ``shape`` kept in the cache file ``path`` (``generated/cache/STEM.npy``, STEM a
    hash of what it was computed from): the zoo's shipped copy when :data:`CACHE_SEEDS` has one under STEM,
    else the file, else ``compute()``, written whole to ``path``. The shipped copy comes first, so every machine
    ranks with the same bank vectors. Used by the bot of 04_seq2seq_chatbot and 06_deployment (its bank of replies)."""
    path = Path(path)
    if not _RECORDING:
        seeds = _seeds(_root(root).resolve())
        if seeds is not None and path.stem in seeds and seeds[path.stem].shape == tuple(shape):
            return seeds[path.stem].astype("float32")
        if path.exists():
            vectors = np.load(path)
            if vectors.shape == tuple(shape):
                return vectors
    start = time.perf_counter()
    vectors = np.asarray(compute(), "float32")
    if _RECORDING:
        _RECORDING[-1][path.stem] = (vectors, time.perf_counter() - start)
    path.parent.mkdir(parents=True, exist_ok=True)
    paths.write_whole(path, lambda out: np.save(out, vectors))
    return vectors


def _versions() -> dict:
    import keras  # noqa: PLC0415 (`python -m helpers.zoo list|verify` needs no TensorFlow)
    import tensorflow as tf  # noqa: PLC0415 (`python -m helpers.zoo list|verify` needs no TensorFlow)

    return {"keras": keras.__version__, "tensorflow": tf.__version__, "python": sys.version.split()[0]}


def _without_optimizer_state(model):
    """A copy of a compiled functional/sequential ``model`` with the same weights and compile
    settings but a fresh optimizer, so the saved file holds no Adam moments (a third of the size).

    Models that cannot be cloned (subclassed ones) are returned as they are.
    """
    import keras  # noqa: PLC0415 (`python -m helpers.zoo list|verify` needs no TensorFlow)

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "built", False):
        return model
    try:
        slim = keras.models.clone_model(model)
    except (ValueError, TypeError, NotImplementedError):
        return model
    slim.set_weights(model.get_weights())
    slim.compile(**keras.saving.deserialize_keras_object(model.get_compile_config()))
    return slim


def save(model, name: str, card: ModelCard | dict, root: Path | None = None, include_optimizer: bool = False) -> Path:
    """Save ``model`` as ``zoo/NAME.keras`` with its card ``zoo/NAME.json``; update the manifest.

    ``name`` is ``"NN_topic/model_name"``. The card is a :class:`~helpers.model_card.ModelCard`
    (or a dict it accepts): ``data`` (source and sha256), ``hyperparameters``, ``metrics``,
    ``history``, ``training_seconds``, ``machine`` and ``reproduce`` (the command that rebuilds
    the model); it is checked before anything is written. Versions and checksums are added here. Zoo models are for inference and evaluation: unless
    ``include_optimizer``, the optimizer's state is left out (the model stays
    compiled; fine-tuning starts a fresh optimizer). Taught in: 03_char_rnn, 04_seq2seq_chatbot.
    """
    card = ModelCard.from_dict(card, name)
    root = _root(root)
    model_path = root / f"{name}.keras"
    model_path.parent.mkdir(parents=True, exist_ok=True)
    (model if include_optimizer else _without_optimizer_state(model)).save(model_path)
    add_file(f"{name}.keras", root)
    write_card(name, card, root, file=model_path.name)
    return model_path


def write_card(
    name: str, card: ModelCard | dict, root: Path | None = None, indent: int = 2, file: str | None = None
) -> Path:
    """Write ``zoo/NAME.json`` (adding name, the model's file, versions and date) and record it in the manifest.

    :func:`save` calls it for every model; use it alone for a card that describes an object
    built from other zoo files (the emoji suggester). The card goes through
    :meth:`ModelCard.from_dict`, so every card has the same fields. Taught in: 05_emoji_suggestion.
    """
    if file is None and isinstance(card, dict):
        file = card.get("file")  # a card read back from the zoo and written again keeps its model file
    card = ModelCard.from_dict(card, name)
    root = _root(root)
    card_path = root / f"{name}.json"
    card_path.parent.mkdir(parents=True, exist_ok=True)
    full_card = {
        "name": name,
        **({"file": file} if file else {}),
        **card.to_dict(),
        "versions": _versions(),
        "saved": time.strftime("%Y-%m-%d"),
    }
    card_path.write_text(json.dumps(full_card, indent=indent, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
    add_file(f"{name}.json", root)
    return card_path


def card(name: str, root: Path | None = None) -> dict:
    """Return the verified model card of ``zoo/NAME.json``. Taught in: 04_seq2seq_chatbot."""
    path = verify_file(f"{name}.json", root)
    return json.loads(path.read_text(encoding="utf-8"))


def load(name: str, root: Path | None = None, custom_objects: dict | None = None):
    """Verify ``zoo/NAME.keras`` against the manifest, then load it with ``safe_mode=True``.

    Custom layers must be registered (``keras.saving.register_keras_serializable``)
    in ``helpers``; importing the helper module that defines them is enough.
    Taught in: every notebook that offers "load the zoo model instead of training".
    """
    import keras  # noqa: PLC0415 (`python -m helpers.zoo list|verify` needs no TensorFlow)

    path = verify_file(f"{name}.keras", root)
    with warnings.catch_warnings():  # zoo files hold no optimizer state on purpose (see ``save``)
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        return keras.models.load_model(path, safe_mode=True, custom_objects=custom_objects)


def status(root: Path | None = None) -> list[dict]:
    """Return one row per manifest entry: file, bytes, status and (for models) the card's metrics."""
    root = _root(root)
    rows = []
    for relative, entry in sorted(read_manifest(root).items()):
        try:
            verify_file(relative, root)
            state = "ok"
        except ZooError as err:
            state = "MISSING" if "missing" in str(err) else "CHANGED"
        metrics = {}
        if relative.endswith(".keras"):
            card_path = root / (relative[: -len(".keras")] + ".json")
            if card_path.exists():
                try:
                    metrics = json.loads(card_path.read_text(encoding="utf-8")).get("metrics", {})
                except json.JSONDecodeError:
                    metrics = {}
        rows.append({"file": relative, "bytes": entry["bytes"], "status": state, "metrics": metrics})
    return rows


def _format_metrics(metrics: dict) -> str:
    parts = []
    for key, value in metrics.items():
        parts.append(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.zoo", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["list", "verify"], help="list the zoo, or verify every checksum")
    parser.add_argument("--root", type=Path, default=None, help="zoo folder (default: the repository's zoo/)")
    args = parser.parse_args(argv)
    try:
        rows = status(args.root)
    except ZooError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if not rows:
        print(f"the zoo is empty ({_root(args.root) / MANIFEST_NAME} lists no files)")
        return 0
    bad = [row for row in rows if row["status"] != "ok"]
    if args.command == "list":
        width = max(len(row["file"]) for row in rows)
        for row in rows:
            size = f"{row['bytes'] / 1e6:8.2f} MB"
            print(f"{row['file']:<{width}}  {size}  {row['status']:<7}  {_format_metrics(row['metrics'])}")
    for row in bad:
        print(f"error: zoo/{row['file']}: {row['status'].lower()}", file=sys.stderr)
    if args.command == "verify" and not bad:
        print(f"{len(rows)} zoo files verified")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
