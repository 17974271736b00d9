"""MiniLM's reading of a message at word-vector speed: a small reader distilled from the sentence encoder.

The emoji suggester's readers (the tweets' classifier, VADER's word list, the reactions model) see words, not
situations: on messages nobody tuned it for, "i got promoted today" gets ❤ 👌 and "i laughed so hard i cried" 😩.
Notebook 04's MiniLM (``helpers.sentence_encoder``) reads sentences: each message's vector against MiniLM's vectors
of each emoji's CLDR name and keywords puts an acceptable emoji in the top 3 for far more of them, with nothing
fitted. But it reads a few hundred messages a second on 2 cores (notebook 05 times it), and the suggester must read
1,500.

So a student learns to read like it (distillation, Hinton et al. 2015, "Distilling the Knowledge in a Neural
Network"): GloVe word vectors (frozen, the suggester's own), one dense layer per word, the mean and the largest value
of each feature over the words, two dense layers, a unit vector. It is trained on texts whose MiniLM vectors are
known (every speaker's chit-chat training messages and replies, which notebook 04's selector already encoded, plus
each vocabulary word and each emoji's description) to give the teacher's *ranking of the emoji*: the cross-entropy
between MiniLM's softmax over the emoji and its own, at a low temperature, plus half a cosine to MiniLM's vector. The
emoji's side stays the teacher's: MiniLM's vectors of their descriptions, a fixed layer of the model, so the model
maps a prepared message (``sentiment.prepare``) to a cosine per emoji.

Command line (the suggester's module builds it: it holds the emoji table and the word vectors)::

    python -m helpers.emoji_suggest sense    # zoo/05_emoji/sense.keras and its card, then `build` again

Taught in: 05_emoji_suggestion.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from . import corpora, emoji_data, paths, sentiment, zoo
from .model_card import ModelCard
from .selector import MaskedMaxPooling, everyone_by_split, sentence_vectors
from .sentence_encoder import MaskedMean, load_encoder
from .setup import seed_everything

ZOO_NAME = "05_emoji/sense"


@dataclass(frozen=True)
class SenseConfig:
    """The student's shape and training (the zoo model's values: about 5 minutes on 2 CPU cores)."""

    max_words: int = 32  # a chat message is about 12 words
    word_units: int = 384
    hidden: int = 768
    temperature: float = 0.05  # of both softmaxes over the emoji: MiniLM's cosines differ by hundredths
    cosine_share: float = 0.5  # weight of the cosine to MiniLM's vector beside the emoji cross-entropy
    epochs: int = 6
    batch_size: int = 512
    learning_rate: float = 1e-3
    seed: int = 0


def build_sense_model(
    words: Sequence[str], word_vectors: np.ndarray, emoji_vectors: np.ndarray, config: SenseConfig = SenseConfig()
) -> keras.Model:
    """The student: a prepared message (a string) -> its cosine with each emoji's description vector (B, E).

    ``words`` and ``word_vectors`` (V, d) are the frozen GloVe table (an unknown word reads as a zero vector but still
    counts as a word; padding does not count); ``emoji_vectors`` (E, 384) are MiniLM's unit vectors of the emoji descriptions, kept
    fixed. The layer ``vector`` gives the message's unit vector in MiniLM's space.
    """
    dim = word_vectors.shape[1]
    text = keras.Input(shape=(), dtype="string", name="text")
    ids = keras.layers.TextVectorization(vocabulary=list(words), output_sequence_length=config.max_words, name="words")(
        text
    )
    words_here = ops.not_equal(ids, 0)  # (B, T): a word (known or not), not padding
    glove = keras.layers.Embedding(len(words) + 2, dim, trainable=False, name="glove")
    x = keras.layers.Dense(config.word_units, activation="gelu", name="per_word")(glove(ids))
    mean = MaskedMean(name="mean")(x, words_here)  # over the words, padding left out; no word at all: zeros
    largest = MaskedMaxPooling(name="largest")(x, mask=words_here)
    h = keras.layers.Dense(config.hidden, activation="gelu", name="hidden")(
        keras.layers.Concatenate(name="pooled")([mean, largest])
    )
    vector = keras.layers.UnitNormalization(name="vector")(
        keras.layers.Dense(emoji_vectors.shape[1], name="project")(h)
    )
    emoji = keras.layers.Dense(len(emoji_vectors), use_bias=False, trainable=False, name="emoji")
    model = keras.Model(text, emoji(vector), name="sense")
    glove.set_weights([np.concatenate([np.zeros((2, dim)), word_vectors]).astype("float32")])
    emoji.set_weights([np.asarray(emoji_vectors, "float32").T])
    return model


@keras.saving.register_keras_serializable(package="talk_like_you")
class EmojiDistillation(keras.losses.Loss):
    """Cross-entropy from the teacher's softmax over the emoji to the student's, both at ``temperature``:
    ``y_true`` and ``y_pred`` are cosines with every emoji (B, E). Taught in: 05_emoji_suggestion."""

    def __init__(self, temperature: float = 0.05, name: str = "emoji_distillation", **kwargs):
        super().__init__(name=name, **kwargs)
        self.temperature = float(temperature)

    def call(self, y_true, y_pred):
        teacher = ops.softmax(y_true / self.temperature, axis=-1)
        return -ops.sum(teacher * ops.log_softmax(y_pred / self.temperature, axis=-1), axis=-1)

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}


def train_sense(
    model: keras.Model,
    texts: Sequence[str],
    teacher_vectors: np.ndarray,
    config: SenseConfig = SenseConfig(),
    validation: tuple[Sequence[str], np.ndarray] | None = None,
    verbose: int = 2,
) -> dict:
    """Distil: fit ``model`` (:func:`build_sense_model`) so that its emoji cosines rank the emoji as MiniLM's
    vectors ``teacher_vectors`` (n, 384) of the prepared ``texts`` do, and its vector points where MiniLM's does.
    Returns the per-epoch ``history``. Taught in: 05_emoji_suggestion."""
    emoji_matrix = tf.constant(model.get_layer("emoji").get_weights()[0])  # (384, E)
    trainer = keras.Model(model.input, {"emoji": model.output, "vector": model.get_layer("vector").output})
    trainer.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(
                config.learning_rate, config.epochs * max(1, len(texts) // config.batch_size), alpha=0.05
            )
        ),
        loss={"emoji": EmojiDistillation(config.temperature), "vector": keras.losses.CosineSimilarity()},
        loss_weights={"emoji": 1.0, "vector": config.cosine_share},
    )

    def batches(x, y, shuffle):
        ds = tf.data.Dataset.from_tensor_slices((np.asarray(x, dtype=object), np.asarray(y, "float32")))
        if shuffle:
            ds = ds.shuffle(len(x), seed=config.seed, reshuffle_each_iteration=True)
        ds = ds.batch(config.batch_size)
        return ds.map(lambda t, v: (t, {"emoji": tf.matmul(v, emoji_matrix), "vector": v})).prefetch(tf.data.AUTOTUNE)

    history = trainer.fit(
        batches(texts, teacher_vectors, True),
        validation_data=batches(*validation, False) if validation is not None else None,
        epochs=config.epochs,
        verbose=verbose,
    )
    return {key: [round(float(v), 5) for v in values] for key, values in history.history.items()}


class SenseReader:
    """The zoo student, ready to score: ``cosines(prepared_texts)`` (n, E) in one traced call per batch (a copy of
    the suggester shares it, so nothing is traced twice). Taught in: 05_emoji_suggestion."""

    def __init__(self, model: keras.Model):
        self.model = model
        self._run = tf.function(sentiment.ModelCall(model), reduce_retracing=True)

    @classmethod
    def from_zoo(cls, root=None) -> "SenseReader":
        return cls(zoo.load(ZOO_NAME, root))

    @property
    def emoji_count(self) -> int:
        return int(self.model.output.shape[-1])

    def cosines(self, prepared_texts: Sequence[str]) -> np.ndarray:
        """Each prepared message's cosine with every emoji's description, as MiniLM would read it (n, E)."""
        return self._run(tf.constant(list(prepared_texts), dtype=tf.string)).numpy().astype("float64")


def distillation_data(words: Sequence[str], descriptions: Sequence[str], progress: bool = False) -> dict:
    """The texts the zoo student learns from and MiniLM's vectors of them: ``train`` and ``validation`` hold
    ``(prepared texts, vectors)``. Training: every speaker's chit-chat training messages and replies (their vectors
    are the selector's, cached in ``generated/cache``), each of the ``words`` (the suggester's vocabulary) and each
    emoji description (``EmojiTable.keyword_texts``), encoded here; validation: the validation conversations'
    messages and replies."""
    data = {}
    for name, pairs in everyone_by_split(progress).items():
        messages, replies, _ = sentence_vectors(pairs, progress=progress)
        texts = [sentiment.prepare(p["prompt"]) for p in pairs] + [sentiment.prepare(p["reply"]) for p in pairs]
        data[name] = (texts, np.concatenate([messages, replies]))
    extra = list(words) + [sentiment.prepare(t) for t in descriptions]
    texts, vectors = data["train"]
    data["train"] = (texts + extra, np.concatenate([vectors, load_encoder().encode(extra, progress=progress)]))
    return data


def train_zoo_sense(
    words: Sequence[str], word_vectors: np.ndarray, descriptions: Sequence[str], verbose: int = 2
) -> dict:
    """Distil MiniLM into the zoo student (GloVe ``words`` and ``word_vectors``, the emoji ``descriptions`` in the
    suggester table's order) and save ``zoo/05_emoji/sense.keras`` with its card.

    Command line: ``python -m helpers.emoji_suggest sense`` (then ``build``, so that the suggester's weights include
    the new reading). Taught in: 05_emoji_suggestion."""
    config = SenseConfig()
    seed_everything(config.seed)
    start = time.perf_counter()
    model = build_sense_model(words, word_vectors, load_encoder().encode(list(descriptions)), config)
    data = distillation_data(words, descriptions, progress=verbose > 0)
    history = train_sense(model, *data["train"], config, validation=data["validation"], verbose=verbose)
    texts = np.asarray(data["validation"][0], dtype=object)
    vectors = data["validation"][1]
    student = model.predict(texts, batch_size=1024, verbose=0)
    teacher = vectors @ model.get_layer("emoji").get_weights()[0]
    reader = keras.Model(model.input, model.get_layer("vector").output)
    cosine = np.sum(reader.predict(texts, batch_size=1024, verbose=0) * vectors, axis=1)
    top10 = np.argsort(-student, axis=1)[:, :10]
    metrics = {
        "validation_texts": len(texts),
        "validation_cosine_to_minilm": round(float(cosine.mean()), 4),
        "validation_top1_emoji_as_minilm": round(float(np.mean(student.argmax(1) == teacher.argmax(1))), 4),
        "validation_minilm_top1_in_student_top10": round(
            float(np.mean([t in row for row, t in zip(top10.tolist(), teacher.argmax(1).tolist())])), 4
        ),
    }
    seconds = time.perf_counter() - start
    zoo.save(
        model,
        ZOO_NAME,
        ModelCard(
            data={
                **corpora.chitchat_source(),
                "teacher": "sentence-transformers/all-MiniLM-L6-v2 (helpers.sentence_encoder), frozen",
                "texts": "every speaker's chit-chat training messages and replies "
                "(helpers.selector.everyone_by_split), the suggester's vocabulary words and the emoji's CLDR "
                "descriptions",
                "train_texts": len(data["train"][0]),
                "keywords": {
                    "source": f"data/{emoji_data.KEYWORDS_FILE}",
                    "sha256": zoo.sha256_file(paths.data(emoji_data.KEYWORDS_FILE)),
                },
                "word_vectors": "zoo/05_emoji/word_vectors.keras",
                "emoji": len(descriptions),
            },
            hyperparameters=asdict(config),
            metrics=metrics,
            history=history,
            training_seconds=round(seconds, 1),
            reproduce="python -m helpers.emoji_suggest sense && python -m helpers.emoji_suggest build",
            extra={
                "description": "MiniLM's reading of a prepared chat message (helpers.sentiment.prepare), distilled: "
                "its cosine with MiniLM's vector of each emoji's CLDR description, in the suggester table's order. "
                "The emoji suggester's sense part."
            },
        ),
    )
    return {"model": model, "metrics": metrics, "seconds": seconds, "history": history}
