"""The one call at the top of every notebook: versions, seeds and size.

``COOKBOOK_SIZE`` chooses how much work a notebook does:

* ``ci``: seconds, just enough to prove every cell runs (used by ``make test``);
* ``workshop`` (the default): a few minutes on a 2-core laptop;
* ``full``: reproduces the models in ``zoo/``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import random
import sys
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

SIZES = ("ci", "workshop", "full")
DEFAULT_SIZE = "workshop"

#: The major versions the notebooks are tested with. A different major version
#: (Keras 2, TensorFlow 3) changes APIs silently, so we stop early instead.
TESTED_PYTHON = (3, 11)
TESTED_TENSORFLOW_MAJOR = 2
TESTED_KERAS_MAJOR = 3


@dataclass(frozen=True)
class Config:
    """What :func:`setup_notebook` chose. ``pick`` selects a value for the current size."""

    notebook: str
    size: str
    seed: int
    versions: dict

    @property
    def ci(self) -> bool:
        return self.size == "ci"

    def pick(self, ci: Any, workshop: Any, full: Any) -> Any:
        """Return the argument named after the current size.

        Taught in: every notebook (``EPOCHS = cfg.pick(ci=1, workshop=5, full=40)``).
        """
        return {"ci": ci, "workshop": workshop, "full": full}[self.size]


def read_size(environ: dict | None = None) -> str:
    """Read ``COOKBOOK_SIZE`` (``ci``, ``workshop`` or ``full``; default ``workshop``).

    Taught in: every notebook's setup cell.
    """
    environ = os.environ if environ is None else environ
    size = environ.get("COOKBOOK_SIZE", DEFAULT_SIZE).strip().lower() or DEFAULT_SIZE
    if size not in SIZES:
        raise ValueError(f"COOKBOOK_SIZE={size!r} is not one of {', '.join(SIZES)}; unset it for the workshop default")
    return size


@contextlib.contextmanager
def quiet_native_stderr():
    """Silence what C++ libraries write straight to file descriptor 2 (TensorFlow's CUDA probing).

    Python exceptions still propagate; only the native start-up chatter
    ("Could not find cuda drivers...") is dropped.
    Taught in: every notebook's setup cell (through ``check_versions``); the server uses it at warm-up.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some embedded consoles): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


_NATIVE_LOGS_QUIET = False


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread():
    """A context in which NumPy's matrix products use one thread. The emoji suggester's and the bot's products are
    small, and OpenBLAS's second thread keeps spinning after each one, taking a core from the LiteRT or TensorFlow call
    that comes next: the emoji student's call took 72-82 ms for 256 messages instead of 55-58
    (``generated/exp/order_s52.py``), the bot's ranked batch of 16 messages 287 ms instead of 222
    (``bot_blas_s52.py``, 2026-12-05). The limit is the process's, not the thread's: callers on two threads at once
    (the server's chat and emoji) may leave NumPy on one thread, which changes no result. Used by
    :func:`with_one_blas_thread`."""
    return _blas().limit(limits=1, user_api="blas")


def with_one_blas_thread(function):
    """Decorate ``function`` to run inside :func:`one_blas_thread` (the limit is lifted when it returns)."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        with one_blas_thread():
            return function(*args, **kwargs)

    return run


def in_kernel() -> bool:
    """Whether this process is a running Jupyter kernel (not merely one that imported ipykernel, as nbval does)."""
    kernelapp = sys.modules.get("ipykernel.kernelapp")
    return bool(kernelapp is not None and kernelapp.IPKernelApp.initialized())


def quiet_native_logs() -> bool:
    """Drop for good what C++ libraries write to file descriptor 2; keep Python's own stderr.

    TensorFlow and absl print notes such as ``I0000 ... oneDNN custom operations are on``,
    ``E0000 ... failed call to cuInit`` or ``oneDNN supports DT_BOOL only on platforms with
    AVX-512`` at import and the first time some ops run, long after import. They ignore
    ``TF_CPP_MIN_LOG_LEVEL`` (absl logs before it is initialised), look like errors and say
    nothing a reader can act on. So descriptor 2 is pointed at ``/dev/null``, and Python's
    ``sys.stderr`` (warnings, tracebacks, our ``error: ...`` lines, logging) at a copy of the
    real stderr: everything Python says still shows. In a Jupyter kernel, whose stderr is
    already a stream of its own, only descriptor 2 is redirected.

    Called once, first, by every notebook (``setup_notebook``), every ``python -m helpers.…``
    command line (``helpers/__init__.py``) and ``make bench`` (``benchmarks/run.py``); the
    server's log handlers are made after it, so they write to the real stderr.
    ``TALK_LIKE_YOU_NATIVE_LOGS=1`` keeps the native lines, for debugging a crash.
    Returns whether it silenced them (again ``True`` when already done).
    Taught in: every notebook's setup cell (through ``setup_notebook``).
    """
    global _NATIVE_LOGS_QUIET
    if os.environ.get("TALK_LIKE_YOU_NATIVE_LOGS") == "1":
        return False
    if _NATIVE_LOGS_QUIET:
        return True
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # what TensorFlow does filter, it filters
    try:
        own_descriptor = sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # Jupyter's stream has no descriptor of its own
        own_descriptor = False
    try:
        if own_descriptor:
            sys.stdout.flush()
            sys.stderr.flush()
            real = os.dup(2)
            sys.stderr = open(
                real, "w", buffering=1, encoding=sys.stderr.encoding or "utf-8", errors="backslashreplace"
            )
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:  # no real stderr (some embedded consoles): nothing to silence
        return False
    try:
        os.dup2(devnull, 2)
    finally:
        os.close(devnull)
    _NATIVE_LOGS_QUIET = True
    return True


def check_versions(tensorflow: bool = True) -> dict:
    """Assert the Python (and TensorFlow/Keras) major versions the cookbook is tested with.

    Returns the versions found. Taught in: every notebook's setup cell.
    """
    versions = {"python": platform.python_version()}
    if sys.version_info[:2] < TESTED_PYTHON:
        raise RuntimeError(
            f"Python {versions['python']} is too old: the cookbook needs Python "
            f"{'.'.join(map(str, TESTED_PYTHON))} or newer (run `make lab` to build .venv)"
        )
    if tensorflow:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up chatter
        with quiet_native_stderr():
            import keras  # noqa: PLC0415 (setup runs before TensorFlow loads: it silences its native logs first)
            import tensorflow as tf  # noqa: PLC0415 (setup runs before TensorFlow loads: it silences its native logs first)

            tf.config.list_physical_devices()  # probe devices now, while native logging is silenced
        # Keras 3.15 warns on every fit() over a tf.data pipeline that it ignores `shuffle`;
        # our pipelines shuffle themselves (say so in their docstrings), so the warning is only noise.
        warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed", category=UserWarning)

        versions["tensorflow"] = tf.__version__
        versions["keras"] = keras.__version__
        if int(tf.__version__.split(".")[0]) != TESTED_TENSORFLOW_MAJOR:
            raise RuntimeError(
                f"TensorFlow {tf.__version__} found, the notebooks are tested with "
                f"TensorFlow {TESTED_TENSORFLOW_MAJOR}.x: reinstall with `make lab`"
            )
        if int(keras.__version__.split(".")[0]) != TESTED_KERAS_MAJOR:
            raise RuntimeError(
                f"Keras {keras.__version__} found, the notebooks are written for "
                f"Keras {TESTED_KERAS_MAJOR} (Keras 2 code differs silently): reinstall with `make lab`"
            )
    return versions


def seed_everything(seed: int, tensorflow: bool = True) -> None:
    """Seed Python, NumPy and (if asked) TensorFlow/Keras, so reruns give the same numbers.

    Taught in: every notebook's setup cell.
    """
    random.seed(seed)

    np.random.seed(seed)
    if tensorflow:
        import keras  # noqa: PLC0415 (setup runs before TensorFlow loads: it silences its native logs first)

        keras.utils.set_random_seed(seed)


def setup_notebook(notebook: str, seed: int = 42, tensorflow: bool = True) -> Config:
    """Check versions, seed everything, read the size, print one line saying what was chosen.

    ``tensorflow=False`` skips TensorFlow for notebooks that do not need it
    (01_corpus_download), which saves seconds of import time.

    Taught in: every notebook (first code cell).
    """
    size = read_size()
    if in_kernel():  # a notebook (already done by `import helpers`); a script or test keeps its stderr as it is
        quiet_native_logs()
    versions = check_versions(tensorflow=tensorflow)
    seed_everything(seed, tensorflow=tensorflow)
    cfg = Config(notebook=notebook, size=size, seed=seed, versions=versions)
    shown = " · ".join(f"{k} {v}" for k, v in versions.items())
    print(f"{notebook}: size={size} (COOKBOOK_SIZE), seed={seed} · {shown}")
    return cfg
