"""A ``tf.function`` served through LiteRT (TensorFlow Lite's interpreter), for small batches on a CPU.

A TensorFlow graph call has a fixed cost per op that a server's small batches feel: MiniLM reading one message
and two candidates took 19.9 ms through the graph and 10.9 ms through LiteRT's float32 XNNPACK kernels, 16
messages and 16 replies 104.9 against 88.4 ms, with the same vectors to float rounding; the generator's decoding
loop for one message's three candidates 28.1 against 10.9 ms, with the same ids (2-core AMD EPYC, 2026-12-04,
``benchmarks/README.md``). :class:`LiteFunction` converts a traced function with ``tf.lite.TFLiteConverter`` once
(MiniLM: 5.8 s), keeps the flatbuffer in ``generated/cache/`` under a hash of what it depends on, and runs it with
``ai_edge_litert``'s interpreter, the package that replaces the deprecated ``tf.lite.Interpreter``. Only ops with
LiteRT kernels convert: no ``TensorArray`` of dynamic size, no int64 bit operations, no ``[:, None]`` slicing.

MiniLM and the generator run in float32: int8 weights (``tf.lite.Optimize.DEFAULT``) read MiniLM 2.2 times faster
again but cost `bot.score` 0.3-0.4 points of validation 1-of-100, more than the rule written first allowed
(``benchmarks/README.md``). The bigger reader (``helpers.mpnet``) runs with int8 weights: its 440 MB of float32 weights
made every small call wait on memory (a message and a reply 45 ms), int8 takes 6 ms, and `bot.score` kept its
validation 1-of-100 (0.328 either way).

Taught in: 06_deployment (Recipe 4's Discussion); used by ``helpers.sentence_encoder`` (MiniLM on packed rows) and
``helpers.seq2seq`` (the candidates' decoding loop) for the bot's small batches.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import os
import re
import threading
import warnings
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from .paths import generated, package_file, write_whole
from .setup import quiet_native_stderr


def interpreter_class():
    """LiteRT's ``Interpreter``, or a one-line ``FileNotFoundError`` saying what to run when the package is not
    installed (a virtual environment made before ``ai-edge-litert`` joined ``requirements.txt``)."""
    package_file("ai_edge_litert", "interpreter.py")
    from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415 (its presence is checked just above)

    return Interpreter


def cpu_threads() -> int:
    """The threads an interpreter uses: TensorFlow's intra-op setting when one is set, else every core we may use."""
    configured = tf.config.threading.get_intra_op_parallelism_threads()
    if configured > 0:
        return configured
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def convert(function: tf.types.experimental.PolymorphicFunction, int8_weights: bool = False) -> bytes:
    """The LiteRT flatbuffer of a ``tf.function`` with an ``input_signature`` (quietly: the converter's MLIR notes go to
    file descriptor 2, its Python warnings and log lines to ``tf``'s and absl's loggers): float32, or with ``int8_weights`` its weight matrices
    stored in int8 and multiplied by XNNPACK's dynamically quantized kernels (``tf.lite.Optimize.DEFAULT``: each row of
    activations gets its own scale, so a text's result does not depend on its neighbours)."""
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()], function)
    if int8_weights:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    loggers = [logging.getLogger(name) for name in ("tensorflow", "absl")]  # absl: "Using new converter: ..."
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with quiet_native_stderr(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return converter.convert()
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


KEEP = 8  #: flatbuffers kept per name in generated/cache/ (a notebook's freshly trained models make new ones)
#: The line :class:`LiteFunction` shows on stderr while it converts (:func:`ticking`), all that a conversion says there.
PROGRESS = re.compile(r"LiteRT converts \S+ \(once per machine\): \d+:\d\d")


@contextmanager
def ticking(description: str, every: float = 5.0):
    """A progress line that shows the time spent, refreshed every ``every`` seconds, while work with no steps of
    its own runs: converting the bigger reader takes about 90 s on a 2-core AMD EPYC, once per machine. A reader
    sees that it is working, and a starting server's log keeps growing, so ``serve.start_in_background`` does not
    take the start for a hung one."""
    bar = tqdm(desc=description, bar_format="{desc}: {elapsed}")
    done = threading.Event()

    def tick():
        while not done.wait(every):
            bar.refresh()

    thread = threading.Thread(target=tick, name="ticking", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        bar.close()


def argument_names(function) -> list[str] | None:
    """The names a ``tf.function``'s traced inputs get, each spec's own name or else its Python argument's, read from
    the signatures without tracing (the converter keeps them as the flatbuffer's input names); ``None`` where they
    cannot be read or are not distinct, and :class:`LiteFunction` then traces to learn them."""
    try:
        parameters = list(inspect.signature(function.python_function).parameters)
    except (AttributeError, TypeError, ValueError):
        return None
    specs = function.input_signature
    if len(parameters) < len(specs):
        return None
    names = [spec.name or parameter for spec, parameter in zip(specs, parameters)]
    return names if len(set(names)) == len(names) else None


def prune(folder: Path, name: str) -> None:
    """Delete all but the :data:`KEEP` newest flatbuffers of ``name`` in ``folder``."""
    files = folder.glob(f"litert_{name}_*.tflite")
    for old in sorted(files, key=lambda f: f.stat().st_mtime_ns)[:-KEEP]:
        old.unlink(missing_ok=True)


class Deferred:
    """A ``tf.function`` made only if :class:`LiteFunction` needs it, to convert it or to learn its inputs' names:
    ``make()`` builds it, ``input_signature`` and ``arguments`` (its Python arguments' names) are what
    LiteFunction reads first. For a model whose cached flatbuffer does not depend on its weights' values (the
    bigger reader's file is named by the package's sha256), a process that finds the file never builds the Keras
    model: all-mpnet-base-v2's float32 weights are 440 MB and 4 s of copying on 2 cores."""

    def __init__(self, make: Callable[[], tf.types.experimental.PolymorphicFunction], input_signature, arguments):
        self.make, self.input_signature, self.arguments = make, list(input_signature), list(arguments)
        self._function = None

    @property
    def function(self) -> tf.types.experimental.PolymorphicFunction:
        if self._function is None:
            self._function = self.make()
        return self._function


class LiteFunction:
    """``function`` (a ``tf.function`` with an ``input_signature`` of NumPy-friendly tensors, returning one
    tensor) run by LiteRT's interpreter: ``LiteFunction(f, "minilm", weights)(*arrays) -> np.ndarray``. ``f`` may
    be a :class:`Deferred` one, made only if the cached flatbuffer is missing.

    ``int8_weights``: convert with int8 weight matrices (:func:`convert`).
    ``key_parts``: what the function's result depends on beyond its code (its weights, as arrays or bytes); with
    the versions of TensorFlow and LiteRT they name the cached flatbuffer, so a changed model is converted again.
    Inputs may change shape between calls (the interpreter is resized and re-planned only when they do). One
    interpreter is not thread-safe, so calls take a lock. A cached file that no longer loads is converted again.
    """

    def __init__(
        self,
        function,
        name: str,
        key_parts: Sequence[np.ndarray | bytes | str] = (),
        int8_weights: bool = False,
    ):
        Interpreter = interpreter_class()  # noqa: N806 (a class)
        deferred = function if isinstance(function, Deferred) else None

        def real():
            return deferred.function if deferred is not None else function

        kind = " int8 weights" if int8_weights else ""  # float32 flatbuffers keep the names they had
        digest = hashlib.sha256(f"{name} {tf.__version__} {version('ai-edge-litert')}{kind}".encode("utf-8"))
        for spec in function.input_signature:
            digest.update(repr(spec).encode("utf-8"))
        for part in key_parts:
            if isinstance(part, str):
                part = part.encode("utf-8")
            digest.update(part if isinstance(part, bytes) else np.ascontiguousarray(part).tobytes())
        self.path = generated("cache", f"litert_{name}_{digest.hexdigest()[:16]}.tflite")
        self.interpreter = None
        if self.path.exists():
            try:
                self.interpreter = Interpreter(model_content=self.path.read_bytes(), num_threads=cpu_threads())
            except ValueError:  # "not a valid Flatbuffer buffer": damaged on disk, so made again below
                self.interpreter = None
        if self.interpreter is None:
            with ticking(f"LiteRT converts {name} (once per machine)"):
                model = convert(real(), int8_weights)
            write_whole(self.path, lambda out: out.write(model))  # never a half-written file under the final name
            prune(self.path.parent, name)
            self.interpreter = Interpreter(model_content=model, num_threads=cpu_threads())
        index = {detail["name"]: detail["index"] for detail in self.interpreter.get_input_details()}
        # the inputs' names, read without tracing the function (2-4 s each on 2 cores), else from a trace
        names = deferred.arguments if deferred is not None else argument_names(function)
        if names is None or sorted(index) != sorted(names):
            arguments = real().get_concrete_function().inputs[: len(function.input_signature)]  # then the weights
            names = [tensor.name.split(":")[0] for tensor in arguments]
        if sorted(index) != sorted(names):
            raise RuntimeError(f"LiteRT model {name}: inputs {sorted(index)}, expected {sorted(names)}")
        self._inputs = [index[n] for n in names]  # in the order of the function's arguments
        self._output = self.interpreter.get_output_details()[0]["index"]
        self._dtypes = [spec.dtype.as_numpy_dtype for spec in function.input_signature]
        self._shapes: list[tuple[int, ...]] | None = None
        self._lock = threading.Lock()

    def __call__(self, *arrays) -> np.ndarray:
        values = [np.asarray(a, dtype) for a, dtype in zip(arrays, self._dtypes, strict=True)]
        shapes = [v.shape for v in values]
        with self._lock:
            if shapes != self._shapes:
                for index, value in zip(self._inputs, values):
                    self.interpreter.resize_tensor_input(index, value.shape, strict=False)
                if self._shapes is None:  # the first plan applies XNNPACK, which says so on descriptor 2
                    with quiet_native_stderr():
                        self.interpreter.allocate_tensors()
                else:
                    self.interpreter.allocate_tensors()
                self._shapes = shapes
            for index, value in zip(self._inputs, values):
                self.interpreter.set_tensor(index, value)
            self.interpreter.invoke()
            return self.interpreter.get_tensor(self._output).copy()
