"""The seq2seq chatbot: data splits, vocabulary, the encoder-decoder model and its decoders.

Everything here is taught in ``04_seq2seq_chatbot``; the reply class that wraps a
trained model (``helpers.chatbot.ChatBot``) and the server reuse the decoders.

Token ids: 0 is padding, 1 ``[UNK]``, 2 ``[START]``, 3 ``[END]``, then the words
from most to least frequent. Command line (the zoo models)::

    python -m helpers.seq2seq train everyone       # the pretrained base: attention, every chit-chat speaker's pairs
    python -m helpers.seq2seq train you            # the base fine-tuned on the default "you" (zoo/04_seq2seq/you.keras)
    python -m helpers.seq2seq train you_scratch    # attention, trained on "you" pairs alone (the comparison)
    python -m helpers.seq2seq train you_plain      # the same without attention
"""

from __future__ import annotations

import argparse
import hashlib
import json
import weakref
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from . import zoo
from .chats import read_jsonl
from .corpora import corpus_files, ensure_chitchat_corpus
from .emoji_data import emoji_as_words
from .litert import LiteFunction
from .setup import check_versions, seed_everything
from .text import tokenize
from .training import ModelCard, budget_minutes, fit_within_budget
from .vectors import embedding_matrix, load_zoo_vectors

PAD, UNK, START, END = "", "[UNK]", "[START]", "[END]"
SPECIALS = (PAD, UNK, START, END)
PAD_ID, UNK_ID, START_ID, END_ID = range(4)
#: Punctuation tokens glued to the word before them when a reply is turned back into text.
_GLUE = {".", ",", "!", "?", "...", "..", ";", ":", "!!", "??", "?!", "!?", "!!!", "???"}


# --------------------------------------------------------------------------- data
def split_of(conversation: str, validation: int = 10, test: int = 10) -> str:
    """``"train"``, ``"validation"`` or ``"test"`` for a conversation id, from a hash of the id.

    Splitting by conversation keeps every pair of one conversation in the same split
    (pairs of one conversation share topics and phrasing, so a random pair split leaks).
    The hash makes the split stable: the CI subset's test conversations are test
    conversations of the whole corpus too, so zoo models can be evaluated on either.
    Taught in: 04_seq2seq_chatbot.
    """
    bucket = int(hashlib.sha256(conversation.encode("utf-8")).hexdigest()[:8], 16) % 100
    if bucket < 100 - validation - test:
        return "train"
    return "validation" if bucket < 100 - test else "test"


def split_pairs(pairs: Iterable[dict], min_conversations: int = 20, block: int = 50) -> dict[str, list[dict]]:
    """Group pairs (with a ``conversation`` key) into train/validation/test by :func:`split_of`.

    A personal export may hold only a handful of long conversations, too few to split
    by conversation. Below ``min_conversations`` conversations, each conversation is cut
    into blocks of ``block`` consecutive pairs and the blocks are split instead (still
    no block in two splits). Taught in: 04_seq2seq_chatbot.
    """
    pairs = list(pairs)
    by_block = len({pair["conversation"] for pair in pairs}) < min_conversations
    seen: Counter = Counter()
    splits: dict[str, list[dict]] = {"train": [], "validation": [], "test": []}
    for pair in pairs:
        key = pair["conversation"]
        if by_block:
            seen[key] += 1
            key = f"{key}#{(seen[key] - 1) // block}"
        splits[split_of(key)].append(pair)
    return splits


def tokenize_pairs(pairs: Iterable[dict], progress: bool = False) -> list[dict]:
    """Add ``prompt_tokens`` and ``reply_tokens`` (``helpers.text.tokenize``) to each pair.

    A prompt of emoji alone is read as their words, as the bot reads a message (``emoji_data.emoji_as_words``; no
    chit-chat prompt is one, a personal export's "😂" is). Pairs whose prompt or reply has no token at all are
    dropped. Taught in: 04_seq2seq_chatbot.
    """
    pairs = list(pairs)
    if progress:
        pairs = tqdm(pairs, desc="tokenizing", unit=" pairs", mininterval=2)
    out = []
    for pair in pairs:
        prompt, reply = tokenize(emoji_as_words(pair["prompt"])), tokenize(pair["reply"])
        if prompt and reply:
            out.append({**pair, "prompt_tokens": prompt, "reply_tokens": reply})
    return out


def build_vocabulary(token_lists: Iterable[Sequence[str]], max_words: int = 5000, min_count: int = 2) -> list[str]:
    """The special tokens, then up to ``max_words`` words seen at least ``min_count`` times, most frequent first.

    Ties are broken alphabetically so the vocabulary is deterministic. Taught in: 04_seq2seq_chatbot.
    """
    counts = Counter(token for tokens in token_lists for token in tokens)
    words = sorted(
        (w for w, n in counts.items() if n >= min_count and w not in SPECIALS), key=lambda w: (-counts[w], w)
    )
    return list(SPECIALS) + words[:max_words]


def encode_tokens(tokens: Sequence[str], index: dict, length: int, keep: str = "last") -> list[int]:
    """Token ids of ``tokens`` (unknown words -> ``[UNK]``), cut to ``length`` and padded with 0.

    ``keep="last"`` keeps the end of a long prompt (the words closest to the reply);
    ``keep="first"`` keeps the start. Taught in: 04_seq2seq_chatbot.
    """
    ids = [index.get(t, UNK_ID) for t in tokens]
    ids = ids[-length:] if keep == "last" else ids[:length]
    return ids + [PAD_ID] * (length - len(ids))


@dataclass
class Encoded:
    """Arrays for ``fit``: the prompt, the decoder's input (``[START]`` + reply) and its target (reply + ``[END]``)."""

    prompt: np.ndarray
    reply_in: np.ndarray
    reply_out: np.ndarray

    def __len__(self) -> int:
        return len(self.prompt)

    def dataset(self, batch_size: int = 64, shuffle: bool = True, seed: int = 0):
        """A ``tf.data`` pipeline of ``({"prompt", "reply_in"}, reply_out)`` batches, prefetched."""
        ds = tf.data.Dataset.from_tensor_slices(({"prompt": self.prompt, "reply_in": self.reply_in}, self.reply_out))
        if shuffle:
            ds = ds.shuffle(len(self.prompt), seed=seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def encode_pairs(pairs: Sequence[dict], vocabulary: Sequence[str], max_prompt: int, max_reply: int) -> Encoded:
    """Encode tokenized pairs (:func:`tokenize_pairs`) for training and evaluation.

    Prompts keep their last ``max_prompt`` tokens. Replies keep their first
    ``max_reply`` tokens; a reply that fits is followed by ``[END]``, a longer one
    is cut without it (the model learns how long replies begin, and never learns to
    stop mid-sentence). Taught in: 04_seq2seq_chatbot.
    """
    index = {w: i for i, w in enumerate(vocabulary)}
    n = len(pairs)
    prompt = np.zeros((n, max_prompt), dtype="int32")
    reply_in = np.zeros((n, max_reply + 1), dtype="int32")
    reply_out = np.zeros((n, max_reply + 1), dtype="int32")
    for i, pair in enumerate(pairs):
        prompt[i] = encode_tokens(pair["prompt_tokens"], index, max_prompt, keep="last")
        reply = [index.get(t, UNK_ID) for t in pair["reply_tokens"][:max_reply]]
        ended = len(pair["reply_tokens"]) <= max_reply
        reply_in[i, : len(reply) + 1] = [START_ID] + reply
        target = reply + ([END_ID] if ended else [])
        reply_out[i, : len(target)] = target
        if not ended:  # no [END] to predict after the last kept token: do not train on that position
            reply_in[i, len(reply)] = PAD_ID
    return Encoded(prompt, reply_in, reply_out)


def oov_rate(token_lists: Iterable[Sequence[str]], vocabulary: Sequence[str]) -> float:
    """Share of tokens that fall outside ``vocabulary`` (become ``[UNK]``). Taught in: 04_seq2seq_chatbot."""
    known = set(vocabulary)
    total = unknown = 0
    for tokens in token_lists:
        total += len(tokens)
        unknown += sum(1 for t in tokens if t not in known)
    return unknown / max(1, total)


def detokenize(tokens: Sequence[str]) -> str:
    """Join reply tokens into text: punctuation sticks to the word before it.

    Taught in: 04_seq2seq_chatbot.
    """
    text = ""
    for token in tokens:
        if token in SPECIALS:
            continue
        text += token if (not text or token in _GLUE) else " " + token
    return text


# --------------------------------------------------------------------------- the model
def build_model(
    vocab_size: int,
    embedding_dim: int = 50,
    units: int = 256,
    attention: bool = True,
    dropout: float = 0.2,
    learning_rate: float = 1e-3,
    embedding_matrix: np.ndarray | None = None,
):
    """The encoder-decoder: one shared ``Embedding``, an LSTM encoder, an LSTM decoder
    started from the encoder's final state and trained with teacher forcing, and (with
    ``attention``) Luong-style dot-product attention over the encoder's outputs.

    With attention, every decoder output queries all encoder outputs
    (``keras.layers.Attention``); the context vector and the decoder output are
    combined by a ``tanh`` layer, whose output is *added* to the decoder output
    before the softmax over the vocabulary. That layer starts at zero, so the
    attention model starts out as the plain one and learns to use the context (with
    Luong's original, non-residual combination it trained more slowly than the model
    without attention on our data). Padding is
    masked everywhere (``mask_zero=True``), the loss included. Layers are named
    (``embedding``, ``encoder``, ``decoder``, ``attention``, ``combine``, ``logits``)
    so :class:`Decoder` can reuse them one step at a time.
    Taught in: 04_seq2seq_chatbot.
    """
    prompt = keras.Input(shape=(None,), dtype="int32", name="prompt")
    reply_in = keras.Input(shape=(None,), dtype="int32", name="reply_in")
    embedding = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True, name="embedding")
    drop = keras.layers.Dropout(dropout, name="embedding_dropout")
    encoder_outputs, h, c = keras.layers.LSTM(units, return_sequences=True, return_state=True, name="encoder")(
        drop(embedding(prompt))
    )
    decoder_outputs = keras.layers.LSTM(units, return_sequences=True, name="decoder")(
        drop(embedding(reply_in)), initial_state=[h, c]
    )
    x = decoder_outputs
    if attention:
        context = keras.layers.Attention(name="attention")([decoder_outputs, encoder_outputs])
        x = keras.layers.Concatenate(name="concat")([decoder_outputs, context])
        x = keras.layers.Dense(units, activation="tanh", kernel_initializer="zeros", name="combine")(x)
        x = keras.layers.Add(name="residual")([decoder_outputs, x])
    x = keras.layers.Dropout(dropout, name="output_dropout")(x)
    logits = keras.layers.Dense(vocab_size, name="logits")(x)
    model = keras.Model(
        {"prompt": prompt, "reply_in": reply_in}, logits, name="seq2seq_attention" if attention else "seq2seq"
    )
    if embedding_matrix is not None:
        if embedding_matrix.shape != (vocab_size, embedding_dim):
            raise ValueError(
                f"embedding_matrix has shape {embedding_matrix.shape}, expected {(vocab_size, embedding_dim)}"
            )
        embedding.set_weights([embedding_matrix])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


#: One scoring graph per model (see :func:`target_log_probs`), dropped with the model.
_SCORING_GRAPHS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class _TargetLogProbs:
    """log p of each target token under one model: (prompt, reply_in, reply_out) -> (B, L).

    A callable object rather than a closure: ``tf.function`` counts traces per Python code
    object, so closures over five different models would look like one function retraced five
    times and trigger TensorFlow's retracing warning; each object here is its own function.
    """

    def __init__(self, model):
        self.model = model

    def __call__(self, prompt, reply_in, reply_out):
        logits = self.model({"prompt": prompt, "reply_in": reply_in}, training=False)  # (B, L, V)
        picked = tf.gather(tf.nn.log_softmax(logits, axis=-1), reply_out, batch_dims=2)  # (B, L)
        return tf.where(reply_out != PAD_ID, picked, 0.0)


def target_log_probs(model, data: Encoded, batch_size: int = 256) -> np.ndarray:
    """log p of every target token of ``data`` under ``model`` (teacher forcing), 0 at padding: shape (n, L).

    One ``tf.function`` per model, with an input signature of any batch and length, so it is
    traced once however the batches come (``model.predict`` retraces for new shapes). The
    perplexity and the generator's scores are sums of these. Taught in: 04_seq2seq_chatbot.
    """
    function = _SCORING_GRAPHS.get(model)
    if function is None:
        spec = tf.TensorSpec([None, None], tf.int32)
        function = _SCORING_GRAPHS[model] = tf.function(_TargetLogProbs(model), input_signature=[spec, spec, spec])
    if not len(data):
        return np.zeros((0, data.reply_out.shape[1]))
    return np.concatenate(
        [
            function(
                data.prompt[i : i + batch_size], data.reply_in[i : i + batch_size], data.reply_out[i : i + batch_size]
            )
            .numpy()
            .astype("float64")
            for i in range(0, len(data), batch_size)
        ]
    )


def token_nll(model, data: Encoded, batch_size: int = 256) -> tuple[float, int]:
    """Summed negative log-likelihood (nats) of every target token, and how many tokens.

    Computed directly from the logits (padding excluded), so it does not depend on how
    Keras averages a masked loss. ``exp(nll / tokens)`` is the per-token perplexity.
    Taught in: 04_seq2seq_chatbot.
    """
    return -float(target_log_probs(model, data, batch_size).sum()), int((data.reply_out != PAD_ID).sum())


def reply_log_likelihood(model, data: Encoded, batch_size: int = 256) -> np.ndarray:
    """log p(reply | prompt) of every encoded pair (nats, summed over the reply's tokens, ``[END]`` included).

    The generator as a *scorer*: rank candidate replies for a message by how likely the
    model finds them. Summed, not averaged, so it is a true log-probability (short, common
    replies score high: the ``mmi`` option of :func:`generator_scorer` corrects for that).
    Taught in: 04_seq2seq_chatbot.
    """
    return target_log_probs(model, data, batch_size).sum(axis=1)


def generator_scorer(
    model, vocabulary: Sequence[str], max_prompt: int, max_reply: int, mmi: float = 0.0, batch_size: int = 256
):
    """``score(messages, replies)`` from a seq2seq model: log p(reply | message), minus ``mmi`` times
    log p(reply) when ``mmi > 0`` (Li et al. 2016's anti-generic "MMI" correction; p(reply) is the
    same model's likelihood of the reply after an empty message).

    Texts are token strings (``text.clean_for_training``). It scores every message with every
    reply, so use it with ``dialog_eval.response_selection(..., per_message=True)``.
    Taught in: 04_seq2seq_chatbot.
    """

    def encode(messages, replies):
        pairs = [{"prompt_tokens": m.split(), "reply_tokens": r.split()} for m in messages for r in replies]
        return encode_pairs(pairs, vocabulary, max_prompt, max_reply)

    def encode_pairwise(messages, replies):
        pairs = [{"prompt_tokens": m.split(), "reply_tokens": r.split()} for m, r in zip(messages, replies)]
        return encode_pairs(pairs, vocabulary, max_prompt, max_reply)

    prior_cache: dict[str, float] = {}

    def prior(replies):
        todo = [r for r in dict.fromkeys(replies) if r not in prior_cache]
        if todo:
            data = encode([""], todo)
            data.prompt[:] = PAD_ID  # an empty message
            data.prompt[:, -1] = UNK_ID  # one unknown word: the encoder needs a token to read
            prior_cache.update(zip(todo, reply_log_likelihood(model, data, batch_size)))
        return np.array([prior_cache[r] for r in replies])

    def score(messages, replies):
        messages, replies = list(messages), list(replies)
        ll = reply_log_likelihood(model, encode(messages, replies), batch_size).reshape(len(messages), len(replies))
        return ll - mmi * prior(replies)[None, :] if mmi else ll

    def pairs(messages, replies):
        """The score of each (messages[i], replies[i]) pair: a vector, in batches without waste."""
        messages, replies = list(messages), list(replies)
        ll = reply_log_likelihood(model, encode_pairwise(messages, replies), batch_size)
        return ll - mmi * prior(replies) if mmi else ll

    score.pairs = pairs
    return score


def perplexity(model, data: Encoded, batch_size: int = 256) -> float:
    """Per-token perplexity of ``model`` on ``data`` (see :func:`token_nll`). Taught in: 04_seq2seq_chatbot."""
    nll, count = token_nll(model, data, batch_size)
    return float(np.exp(nll / max(1, count)))


def unigram_perplexity(train: Encoded, test: Encoded, vocab_size: int) -> float:
    """The frequency baseline: predict every reply token from its training frequency alone
    (add-one smoothing over the ``vocab_size`` tokens a reply can hold, i.e. all but padding
    and ``[START]``), ignoring the prompt and the words before it.

    A seq2seq model that does not beat this has learnt nothing but word counts.
    Taught in: 04_seq2seq_chatbot.
    """
    counts = np.bincount(train.reply_out[train.reply_out != PAD_ID], minlength=vocab_size).astype("float64")
    counts[[PAD_ID, START_ID]] = 0
    probs = (counts + 1) / (counts.sum() + vocab_size - 2)
    targets = test.reply_out[test.reply_out != PAD_ID]
    return float(np.exp(-np.mean(np.log(probs[targets]))))


# --------------------------------------------------------------------------- decoding
def greedy_decode(decoder: "Decoder", prompt, max_len):
    """The greedy decoding loop, run inside one ``tf.function``: encode the prompts (B, T) once, then
    feed the decoder its own most likely word, one step at a time, until every reply has written
    ``[END]`` or ``max_len`` words. ``decoder`` supplies the trained layers one step at a time
    (:meth:`Decoder._step`) and the banned words (:meth:`Decoder._mask_logits`: no ``[UNK]``, no
    empty reply, no repeated n-gram). Returns (ids (B, L), attention weights (B, L, T)).
    Taught in: 04_seq2seq_chatbot (``Decoder.greedy`` runs exactly this).
    """
    enc_outputs, enc_mask, h, c = decoder._encode(prompt)  # (B, T, units), (B, T), (B, units) x 2
    batch = tf.shape(prompt)[0]
    tokens = tf.fill([batch], START_ID)  # (B,): every reply starts with [START]
    done = tf.zeros([batch], tf.bool)
    ids = tf.TensorArray(tf.int32, size=max_len)
    attn = tf.TensorArray(tf.float32, size=max_len)
    seq = tf.zeros([batch, max_len], tf.int32)  # the words so far, for the n-gram ban
    steps = 0
    for i in tf.range(max_len):  # a graph loop (tf.while_loop)
        logits, h, c, scores = decoder._step(tokens, h, c, enc_outputs, enc_mask)  # (B, V), ..., (B, T)
        tokens = tf.argmax(decoder._mask_logits(logits, i, seq), axis=-1, output_type=tf.int32)
        tokens = tf.where(done, PAD_ID, tokens)  # a finished reply only pads
        seq = seq + tokens[:, None] * tf.one_hot(i, max_len, dtype=tf.int32)[None, :]
        ids = ids.write(i, tokens)
        attn = attn.write(i, scores)
        done = done | tf.equal(tokens, END_ID)
        steps = i + 1
        if tf.reduce_all(done):
            break
    return tf.transpose(ids.stack()[:steps]), tf.transpose(attn.stack()[:steps], [1, 0, 2])


class Decoder:
    """Greedy, beam-search and sampling decoders for a model from :func:`build_model`.

    The trained model's own layers are reused one step at a time (no copy of the
    weights): the embedding, the encoder LSTM, the decoder LSTM's cell, attention,
    ``combine`` and ``logits``. Each decoding loop runs inside one ``tf.function``
    (never ``model.predict`` per token). Replies never contain ``[UNK]`` or
    ``[START]`` and hold at least one word. With ``no_repeat_ngram=n`` (n >= 2) no
    decoder writes the same n-gram twice in one reply, the usual cure for greedy loops
    like "i am doing well i am doing well"; 0 decodes the model's raw choices.

    ``litert=True`` runs :meth:`candidates`' decoding loop through LiteRT (``helpers.litert``), whose small ops
    cost less than a TensorFlow graph's: one message's three candidates took 28.1 ms through the graph and 10.9 ms
    this way, 16 messages' 104 and 67 ms, with the same ids (2-core AMD EPYC, 2026-12-04). It reads the weights
    once, at the first call, so it is for a model that no longer trains (``ChatBot`` uses it).
    Taught in: 04_seq2seq_chatbot.
    """

    def __init__(self, model, no_repeat_ngram: int = 0, litert: bool = False):
        names = {layer.name for layer in model.layers}
        missing = {"embedding", "encoder", "decoder", "logits"} - names
        if missing:
            raise ValueError(f"model lacks layers {sorted(missing)}: build it with seq2seq.build_model")
        self.model = model
        self.embedding = model.get_layer("embedding")
        self.encoder = model.get_layer("encoder")
        self.cell = model.get_layer("decoder").cell
        self.attention = model.get_layer("attention") if "attention" in names else None
        self.combine = model.get_layer("combine") if "combine" in names else None
        self.logits = model.get_layer("logits")
        self.vocab_size = int(self.logits.units)
        if no_repeat_ngram == 1 or no_repeat_ngram < 0:
            raise ValueError(f"no_repeat_ngram must be 0 (off) or at least 2, got {no_repeat_ngram}")
        self.no_repeat_ngram = int(no_repeat_ngram)
        banned = np.zeros(self.vocab_size, dtype="float32")
        banned[[PAD_ID, UNK_ID, START_ID]] = -1e9
        self._banned = tf.constant(banned)
        self._no_end = tf.constant(np.where(np.arange(self.vocab_size) == END_ID, -1e9, 0.0).astype("float32"))
        spec = tf.TensorSpec([None, None], tf.int32)
        self._greedy = tf.function(self._greedy_fn, input_signature=[spec, tf.TensorSpec([], tf.int32)])
        self._encode_copies = tf.function(
            lambda prompt, copies: tuple(tf.repeat(x, copies, axis=0) for x in self._encode(prompt)),
            input_signature=[spec, tf.TensorSpec([], tf.int32)],
        )
        units = int(self.cell.units)
        self._candidates = tf.function(
            self._candidates_fn,
            input_signature=[
                tf.TensorSpec([None, None, int(self.encoder.units)], tf.float32),  # the encoder's outputs
                tf.TensorSpec([None, None], tf.bool),
                tf.TensorSpec([None, units], tf.float32),
                tf.TensorSpec([None, units], tf.float32),
                tf.TensorSpec([], tf.int32),
                tf.TensorSpec([None], tf.float32),
                tf.TensorSpec([], tf.int32),
                tf.TensorSpec([None], tf.int64),
            ],
        )
        self.litert = bool(litert)
        self._lite_candidates = None  # made at the first call of candidates() when litert is on
        self._beams = {}

    # one step -------------------------------------------------------------
    def _encode(self, prompt):
        mask = tf.not_equal(prompt, PAD_ID)
        outputs, h, c = self.encoder(self.embedding(prompt), mask=mask, training=False)
        return outputs, mask, h, c

    def _step(self, tokens, h, c, enc_outputs, enc_mask):
        out, h, c, scores = self._step_state(tokens, h, c, enc_outputs, enc_mask)
        return self.logits(out), h, c, scores

    def _step_state(self, tokens, h, c, enc_outputs, enc_mask):
        """One decoder step up to the output layer: the attended state (B, units), the new LSTM state
        and the attention scores (B, T); :meth:`_step` adds the logits (B, V)."""
        x = tf.gather(self.embedding.embeddings, tokens)  # the embedding's weights, without a Keras mask
        out, (h, c) = self.cell(x, [h, c], training=False)
        scores = tf.zeros([tf.shape(tokens)[0], tf.shape(enc_outputs)[1]])
        if self.attention is not None:
            context, scores = self.attention(
                [out[:, None, :], enc_outputs], mask=[None, enc_mask], return_attention_scores=True, training=False
            )
            out = out + self.combine(tf.concat([out, context[:, 0, :]], axis=-1))
            scores = scores[:, 0, :]
        return out, h, c, scores

    def _repeats(self, seq, step):
        """(B, V) additive penalty: -1e9 for every token that would complete an n-gram already in ``seq[:, :step]``."""
        n = self.no_repeat_ngram
        seq = tf.pad(seq, [[0, 0], [0, n]])  # room for n-grams when the reply limit is shorter than n
        length = tf.shape(seq)[1]
        starts = tf.range(length - n + 1)
        match = tf.broadcast_to(tf.expand_dims(starts + n - 1 < step, 0), [tf.shape(seq)[0], length - n + 1])
        for k in range(n - 1):  # the n-1 tokens just written must equal the start of an earlier n-gram
            previous = tf.gather(seq, tf.maximum(step - (n - 1) + k, 0), axis=1)
            match = match & tf.equal(seq[:, k : length - n + 1 + k], tf.expand_dims(previous, 1))
        match = match & (step >= n - 1)
        # scatter -1e9 onto (row, token that would complete a repeat): O(B * L) work, not O(B * L * V);
        # scatter_nd adds up a token banned twice, so the sum is clipped back to -1e9
        where = tf.where(match)  # (K, 2): row, n-gram start
        tokens = tf.gather_nd(seq[:, n - 1 :], where)  # (K,)
        indices = tf.stack([where[:, 0], tf.cast(tokens, tf.int64)], axis=1)
        shape = tf.cast(tf.stack([tf.shape(seq)[0], self.vocab_size]), tf.int64)
        return tf.maximum(tf.scatter_nd(indices, tf.fill([tf.shape(where)[0]], -1e9), shape), -1e9)

    def _mask_logits(self, logits, step, seq):
        logits = logits + self._banned
        if self.no_repeat_ngram:
            logits = logits + self._repeats(seq, step)
        return tf.cond(step == 0, lambda: logits + self._no_end, lambda: logits)

    # greedy ---------------------------------------------------------------
    def _greedy_fn(self, prompt, max_len):
        return greedy_decode(self, prompt, max_len)

    # sampling: greedy and sampled rows in one batch --------------------------
    @staticmethod
    def _row_uniform(row_seeds, step, tokens):
        """Uniform numbers in (0, 1), shaped like ``tokens`` (B, k), that depend only on each row's seed,
        the step and the token id: a row's sample does not change with the other messages in its
        batch. An integer hash (multiply, xor-shift) of (seed, step, token), kept to 31 bits: the products in
        int64, the xor-shifts in int32, and ``floormod`` for the mask (the values are never negative), which
        is the same arithmetic as ``& 0x7FFFFFFF`` in ops that LiteRT has (``helpers.litert``)."""
        bits31 = tf.constant(2**31, tf.int64)
        x = tf.math.floormod(
            tf.expand_dims(row_seeds, 1) * 1000003
            + tf.cast(step, tf.int64) * 7919
            + tf.cast(tokens, tf.int64) * 2654435761,
            bits31,
        )
        for shift in (16, 13, 16):
            x32 = tf.cast(x, tf.int32)
            x32 = tf.bitwise.bitwise_xor(x32, tf.bitwise.right_shift(x32, shift))
            x = tf.math.floormod(tf.cast(x32, tf.int64) * 73244475, bits31)
        return (tf.cast(x, tf.float32) + 0.5) / 2147483648.0

    def _candidates_fn(self, enc_outputs, enc_mask, h, c, max_len, temperatures, top_k, row_seeds):
        """One decoding loop for a batch of rows, each with its own temperature: a row with
        temperature 0 is decoded greedily, the others sampled (top-k, with the Gumbel-max trick on
        :meth:`_row_uniform`, so each row's draw depends on its own seed only). Each prompt is encoded
        once (:meth:`candidates`) and its encoding repeated per candidate, so every candidate of every message
        is one loop. The output layer, the largest cost of a step (units x vocabulary per row), runs only
        on the rows still writing: a finished row's next token is padding anyway. The ids are kept in ``seq``
        (no ``TensorArray``), and every op has a LiteRT kernel, so the loop can run there (``litert=True``)."""
        batch = tf.shape(temperatures)[0]
        greedy_row = temperatures <= 0.0  # (B,)
        scale = tf.expand_dims(tf.where(greedy_row, 1.0, temperatures), 1)  # (B, 1)
        tokens = tf.fill([batch], START_ID)
        done = tf.zeros([batch], tf.bool)
        seq = tf.zeros([batch, max_len], tf.int32)
        steps = 0
        for i in tf.range(max_len):
            out, h, c, _ = self._step_state(tokens, h, c, enc_outputs, enc_mask)
            live = tf.where(~done)[:, 0]  # (A,) the rows still writing
            logits = self._mask_logits(self.logits(tf.gather(out, live)), i, tf.gather(seq, live))  # (A, V)
            best = tf.argmax(logits, axis=-1, output_type=tf.int32)
            # sample among the top k only: Gumbel-max over (A, k), not over the whole vocabulary
            values, top = tf.math.top_k(logits / tf.gather(scale, live), k=tf.minimum(top_k, self.vocab_size))
            gumbel = -tf.math.log(-tf.math.log(self._row_uniform(tf.gather(row_seeds, live), i, top)))
            choice = tf.argmax(values + gumbel, axis=-1, output_type=tf.int32)  # (A,)
            sampled = tf.gather(top, choice, batch_dims=1)
            written = tf.where(tf.gather(greedy_row, live), best, sampled)
            tokens = tf.scatter_nd(tf.expand_dims(live, 1), written, [batch])  # finished rows: PAD_ID (0)
            seq = seq + tf.expand_dims(tokens, 1) * tf.expand_dims(tf.one_hot(i, max_len, dtype=tf.int32), 0)
            done = done | tf.equal(tokens, END_ID)
            steps = i + 1
            if tf.reduce_all(done):
                break
        return seq[:, :steps]

    # beam search ----------------------------------------------------------
    def _beam_fn(self, prompt, max_len, alpha, width):
        """Beam search for one prompt (``prompt`` has shape (1, T)); ``width`` beams run as a batch.

        A hypothesis is ranked by its log-probability divided by the GNMT length
        penalty ((5 + length) / 6) ** alpha, so longer replies are not punished for
        having more factors below one. Finished beams stay in the beam with their
        score frozen (they can only be extended by padding, at no cost).
        """
        enc_outputs, enc_mask, h, c = self._encode(prompt)
        k, V = width, self.vocab_size
        enc_outputs = tf.repeat(enc_outputs, k, axis=0)
        enc_mask = tf.repeat(enc_mask, k, axis=0)
        h, c = tf.repeat(h, k, axis=0), tf.repeat(c, k, axis=0)
        tokens = tf.fill([k], START_ID)
        logp = tf.concat([[0.0], tf.fill([k - 1], -1e9)], axis=0)  # only beam 0 is alive at the start
        lengths = tf.zeros([k], tf.float32)
        done = tf.zeros([k], tf.bool)
        seqs = tf.zeros([k, max_len], tf.int32)
        steps = 0
        pad_only = tf.one_hot(PAD_ID, V, on_value=0.0, off_value=-1e9)
        for i in tf.range(max_len):
            logits, h, c, _ = self._step(tokens, h, c, enc_outputs, enc_mask)
            step_logp = tf.nn.log_softmax(self._mask_logits(logits, i, seqs), axis=-1)
            step_logp = tf.where(done[:, None], pad_only[None, :], step_logp)
            total = logp[:, None] + step_logp  # (k, V)
            new_len = lengths + tf.cast(~done, tf.float32)
            penalty = tf.pow((5.0 + new_len) / 6.0, alpha)
            score = tf.reshape(total / penalty[:, None], [-1])
            best = tf.math.top_k(score, k=k).indices
            beam, token = best // V, tf.cast(best % V, tf.int32)
            logp = tf.gather(tf.reshape(total, [-1]), best)
            lengths = tf.gather(new_len, beam)
            done = tf.gather(done, beam) | tf.equal(token, END_ID)
            h, c = tf.gather(h, beam), tf.gather(c, beam)
            seqs = tf.gather(seqs, beam) + token[:, None] * tf.one_hot(i, max_len, dtype=tf.int32)[None, :]
            tokens = token
            steps = i + 1
            if tf.reduce_all(done):
                break
        final = logp / tf.pow((5.0 + lengths) / 6.0, alpha)
        order = tf.argsort(final, direction="DESCENDING")
        return tf.gather(seqs[:, :steps], order), tf.gather(final, order)

    # public ---------------------------------------------------------------
    def greedy(self, prompt: np.ndarray, max_len: int) -> tuple[np.ndarray, np.ndarray]:
        """Most likely token at every step, for a batch of prompts (B, T). Returns (ids (B, L), attention (B, L, T))."""
        ids, attn = self._greedy(np.asarray(prompt, dtype="int32"), np.int32(max_len))
        return ids.numpy(), attn.numpy()

    def sample(
        self, prompt: np.ndarray, max_len: int, temperature: float = 0.8, top_k: int = 0, seed: int = 0
    ) -> np.ndarray:
        """Sample each token from the softmax at ``temperature``, among the ``top_k`` best (0: all). Seeded:
        the same prompt, seed and options give the same reply, whatever else is in the batch."""
        return self.candidates(prompt, max_len, [temperature], top_k if top_k > 0 else self.vocab_size, seed)[:, 0]

    def candidates(
        self, prompt: np.ndarray, max_len: int, temperatures: Sequence[float], top_k: int = 40, seed: int = 0
    ) -> np.ndarray:
        """Several replies per prompt: for a batch of prompts (B, T) and C temperatures (0 = greedy), returns ids
        of shape (B, C, L). The prompts are encoded in one graph call, then every candidate is written in one
        decoding loop (:meth:`_candidates_fn`), through LiteRT when the decoder was made with ``litert=True``
        (the same ids). A prompt's candidates depend on the prompt, ``seed`` and the temperatures only, never on
        the other prompts of the batch."""
        prompt = np.asarray(prompt, dtype="int32")
        temperatures = np.asarray(temperatures, dtype="float32")
        copies = len(temperatures)
        weights = np.arange(1, prompt.shape[1] + 1, dtype="int64") * 40503
        prompt_hash = (prompt.astype("int64") * weights[None, :]).sum(axis=1) % 2**31  # (B,)
        row_seeds = (prompt_hash[:, None] * 31 + np.arange(copies)[None, :] * 104729 + int(seed) * 7) % 2**31
        # the columns after the last word of the batch are padding in every prompt: masked, they change neither the
        # encoder's state nor the attention, so the encoder and every decoding step read up to there only
        words = np.flatnonzero((prompt != PAD_ID).any(axis=0))
        prompt = prompt[:, : words[-1] + 1 if words.size else 1]
        encoded = [x.numpy() for x in self._encode_copies(prompt, np.int32(copies))]
        arguments = (
            *encoded,
            np.int32(max_len),
            np.tile(temperatures, len(prompt)),
            np.int32(max(1, top_k)),
            row_seeds.reshape(-1).astype("int64"),
        )
        if self.litert:
            if self._lite_candidates is None:  # the weights as they are now: a model no longer training
                self._lite_candidates = LiteFunction(
                    self._candidates, "seq2seq_candidates", [repr(self.no_repeat_ngram)] + self.model.get_weights()
                )
            ids = self._lite_candidates(*arguments)
        else:
            ids = self._candidates(*arguments).numpy()
        return ids.reshape(len(prompt), copies, -1)

    def beam(
        self, prompt: np.ndarray, max_len: int, width: int = 4, alpha: float = 0.6
    ) -> tuple[np.ndarray, np.ndarray]:
        """Beam search for one prompt (1, T): returns all ``width`` hypotheses (best first) and their scores."""
        prompt = np.asarray(prompt, dtype="int32")
        if prompt.ndim != 2 or prompt.shape[0] != 1:
            raise ValueError(f"beam search takes one prompt of shape (1, T), got {prompt.shape}")
        if width not in self._beams:
            self._beams[width] = tf.function(
                lambda p, n, a: self._beam_fn(p, n, a, width),
                input_signature=[
                    tf.TensorSpec([1, None], tf.int32),
                    tf.TensorSpec([], tf.int32),
                    tf.TensorSpec([], tf.float32),
                ],
            )
        seqs, scores = self._beams[width](prompt, np.int32(max_len), np.float32(alpha))
        return seqs.numpy(), scores.numpy()


def ids_to_tokens(ids: Iterable[int], vocabulary: Sequence[str]) -> list[str]:
    """Reply ids to tokens, stopping at ``[END]`` and skipping padding. Taught in: 04_seq2seq_chatbot."""
    tokens = []
    for i in ids:
        i = int(i)
        if i == END_ID:
            break
        if i != PAD_ID:
            tokens.append(vocabulary[i])
    return tokens


# --------------------------------------------------------------------------- watching it learn
def sanity_phrases(
    prompts: Sequence[str], vocabulary: Sequence[str], max_prompt: int, max_reply: int, every: int = 1, printer=print
):
    """A Keras callback that prints the model's greedy replies to a few fixed prompts after each epoch.

    As in the original workshop: you watch the bot go from "i i i i" to replies.
    The replies are also kept in ``callback.log`` (a list of ``(epoch, prompt, reply)``).
    Taught in: 04_seq2seq_chatbot.
    """
    index = {w: i for i, w in enumerate(vocabulary)}
    encoded = np.array([encode_tokens(tokenize(p), index, max_prompt) for p in prompts], dtype="int32")

    class SanityPhrases(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.log = []
            self._decoder = None

        def on_epoch_end(self, epoch, logs=None):
            if (epoch + 1) % every:
                return
            if self._decoder is None:
                self._decoder = Decoder(self.model)
            ids, _ = self._decoder.greedy(encoded, max_reply)
            lines = []
            for prompt, row in zip(prompts, ids):
                reply = detokenize(ids_to_tokens(row, vocabulary))
                self.log.append((epoch + 1, prompt, reply))
                lines.append(f"    {prompt!r} -> {reply!r}")
            printer(f"epoch {epoch + 1}:\n" + "\n".join(lines))

    return SanityPhrases()


# --------------------------------------------------------------------------- the zoo models
@dataclass(frozen=True)
class Seq2SeqConfig:
    """Settings of the encoder-decoder and its data (the zoo models' values). Change one with
    ``dataclasses.replace(ZOO_CONFIG, units=128)``. Taught in: 04_seq2seq_chatbot."""

    max_words: int = 5000  # vocabulary size, specials included
    min_count: int = 2  # a word seen fewer times in training is [UNK]
    max_prompt: int = 30  # tokens of a message read (its last 30)
    max_reply: int = 25  # tokens of a reply written (its first 25)
    embedding_dim: int = 50  # the size of notebook 02's vectors, which start the embedding
    units: int = 256  # LSTM units of the encoder and the decoder
    dropout: float = 0.3
    batch_size: int = 64
    learning_rate: float = 2e-3  # peak of the cosine schedule over the time budget
    final_learning_rate: float = 1e-4  # where the cosine ends


@dataclass(frozen=True)
class ZooModel:
    """One model of ``zoo/04_seq2seq``: which pairs it trains on, with or without attention, its
    budget in minutes on 2 CPU cores, and the zoo model it fine-tunes (``base``) instead of
    starting from random weights."""

    pairs: str
    attention: bool
    minutes: float
    base: str | None = None


ZOO_CONFIG = Seq2SeqConfig()
ZOO_MODELS = {
    "everyone": ZooModel(pairs="all_pairs", attention=True, minutes=15),
    "you": ZooModel(pairs="you_pairs", attention=True, minutes=6, base="everyone"),
    "you_scratch": ZooModel(pairs="you_pairs", attention=True, minutes=12),
    "you_plain": ZooModel(pairs="you_pairs", attention=False, minutes=12),
}
#: Peak and final learning rates when fine-tuning a pretrained base (a tenth of training from scratch).
FINE_TUNE_LEARNING_RATES = (3e-4, 1e-5)
SANITY_PROMPTS = ("hi", "how are you?", "what are you doing tonight?")


def fine_tune(
    model,
    train: Encoded,
    validation: Encoded | None,
    seconds: float,
    learning_rates: tuple[float, float] = FINE_TUNE_LEARNING_RATES,
    batch_size: int = 64,
    callbacks: Sequence = (),
    verbose: int = 2,
    patience: int = 2,
):
    """Fine-tune a pretrained encoder-decoder (the ``everyone`` base) on new pairs within ``seconds``.

    A fresh Adam optimizer with a small learning rate (a cosine from ``learning_rates[0]`` down
    to ``learning_rates[1]``), so the model adapts to one person's words without forgetting what
    it learnt from everybody; the best validation epoch is kept. The pairs must be encoded with
    the base's vocabulary. Without ``validation`` pairs (a tiny export) it keeps the epoch with the
    lowest training loss. Returns a :class:`helpers.training.Trained`.
    Taught in: 04_seq2seq_chatbot; ``make bot`` fine-tunes the same base on your export.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rates[0], clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return fit_within_budget(
        model,
        train.dataset(batch_size),
        seconds,
        validation=validation.dataset(256, shuffle=False) if validation is not None else None,
        learning_rates=learning_rates,
        patience=patience,
        callbacks=callbacks,
        verbose=verbose,
    )


def load_pairs(which: str = "you_pairs", size: str = "workshop") -> list[dict]:
    """Read notebook 01's pairs (``you_pairs`` or ``all_pairs``), building the corpus if needed.

    Taught in: 04_seq2seq_chatbot.
    """
    ensure_chitchat_corpus(size)
    return read_jsonl(corpus_files()[which])


def prepare(
    size: str = "workshop",
    config: Seq2SeqConfig = ZOO_CONFIG,
    progress: bool = False,
    pairs: Sequence[dict] | None = None,
) -> dict:
    """Everything the models train on: tokenized you-pairs split by conversation, the vocabulary
    (from the training split only), and encoded arrays per split.

    ``pairs`` (dicts with ``prompt``, ``reply``, ``conversation``) replaces notebook 01's
    you-pairs: ``make bot`` passes the pairs of your own export.
    Returns a dict with ``splits`` (tokenized pairs), ``vocabulary``, ``encoded`` and ``config``
    (the :class:`Seq2SeqConfig` used).
    Taught in: 04_seq2seq_chatbot (the notebook walks through the same steps one by one).
    """
    pairs = load_pairs("you_pairs", size) if pairs is None else pairs
    splits = split_pairs(tokenize_pairs(pairs, progress=progress))
    train_tokens = [p["prompt_tokens"] for p in splits["train"]] + [p["reply_tokens"] for p in splits["train"]]
    vocabulary = build_vocabulary(train_tokens, config.max_words, config.min_count)
    encoded = {
        name: encode_pairs(pairs, vocabulary, config.max_prompt, config.max_reply) for name, pairs in splits.items()
    }
    return {"splits": splits, "vocabulary": vocabulary, "encoded": encoded, "config": config}


def initial_embedding(vocabulary: Sequence[str], dim: int) -> tuple[np.ndarray, dict]:
    """The embedding matrix from notebook 02's zoo word vectors, with its coverage.

    Taught in: 04_seq2seq_chatbot.
    """
    kv = load_zoo_vectors()
    if kv.vector_size != dim:
        raise ValueError(f"the zoo vectors have {kv.vector_size} dimensions, the model wants {dim}")
    return embedding_matrix(vocabulary, kv)


def train_zoo_model(name: str, minutes: float | None = None, verbose: int = 2) -> dict:
    """Train zoo model ``name`` (see :data:`ZOO_MODELS`) within a time budget and save it.

    Same vocabulary (the you-pairs training split) and architecture for all; ``everyone``
    trains on every speaker's pairs except those in validation/test conversations, and ``you``
    fine-tunes it on the you-pairs (:func:`fine_tune`); ``everyone`` must be trained first. The
    learning rate follows a cosine over the budget; the best validation epoch is kept.
    Returns the card. Command line: ``python -m helpers.seq2seq train NAME``.
    Taught in: 04_seq2seq_chatbot (the full size runs exactly this).
    """
    spec = ZOO_MODELS[name]
    minutes = minutes if minutes is not None else spec.minutes
    seed_everything(42)
    data = prepare("full", progress=verbose > 0)
    config, vocabulary = data["config"], data["vocabulary"]
    if spec.pairs == "you_pairs":
        train_pairs = data["splits"]["train"]
    else:
        everyone = tokenize_pairs(load_pairs("all_pairs", "full"), progress=verbose > 0)
        train_pairs = [p for p in everyone if split_of(p["conversation"]) == "train"]
    train = encode_pairs(train_pairs, vocabulary, config.max_prompt, config.max_reply)
    phrases = sanity_phrases(SANITY_PROMPTS, vocabulary, config.max_prompt, config.max_reply)
    validation = data["encoded"]["validation"]
    if spec.base is not None:
        base = f"04_seq2seq/{spec.base}"
        if zoo.card(base)["vocabulary"] != vocabulary:
            raise ValueError(f"zoo/{base} was trained with another vocabulary: retrain it first")
        model = zoo.load(base)
        coverage = {"coverage": zoo.card(base)["hyperparameters"]["embedding_coverage"]}
        history = fine_tune(
            model, train, validation, minutes * 60, batch_size=config.batch_size, callbacks=[phrases], verbose=verbose
        )
        learning_rates = {
            "learning_rate": FINE_TUNE_LEARNING_RATES[0],
            "final_learning_rate": FINE_TUNE_LEARNING_RATES[1],
            "base": base,
        }
    else:
        matrix, coverage = initial_embedding(vocabulary, config.embedding_dim)
        model = build_model(
            len(vocabulary),
            config.embedding_dim,
            config.units,
            spec.attention,
            config.dropout,
            config.learning_rate,
            matrix,
        )
        history = fit_within_budget(
            model,
            train.dataset(config.batch_size),
            minutes * 60,
            validation=validation.dataset(256, shuffle=False),
            learning_rates=(config.learning_rate, config.final_learning_rate),
            patience=3,
            callbacks=[phrases],
            verbose=verbose,
        )
        learning_rates = {}
    test = data["encoded"]["test"]
    info = json.loads(corpus_files()["info"].read_text(encoding="utf-8"))
    card = ModelCard(
        data={
            "source": info["source"],
            "sha256": info["source_sha256"],
            "pairs": spec.pairs,
            "me": info["me"],
            "train_pairs": len(train),
            "validation_pairs": len(data["encoded"]["validation"]),
            "test_pairs": len(test),
            "split": "by conversation, sha256(conversation id) % 100: "
            "0-79 train, 80-89 validation, 90-99 test (helpers.seq2seq.split_of)",
        },
        hyperparameters={
            **asdict(config),
            **learning_rates,
            "attention": spec.attention,
            "budget_minutes": minutes,
            "epochs_run": history.epochs,
            "steps_trained": history.steps,
            "embedding_init": learning_rates.get("base", "zoo/02_word2vec/chitchat_vectors"),
            "embedding_coverage": round(coverage["coverage"], 4),
        },
        metrics={
            "val_perplexity": round(perplexity(model, data["encoded"]["validation"]), 3),
            "test_perplexity": round(perplexity(model, test), 3),
            "test_unigram_perplexity": round(unigram_perplexity(data["encoded"]["train"], test, len(vocabulary)), 3),
            "best_epoch": history.best_epoch,
        },
        history=history.history,
        training_seconds=history.seconds,
        reproduce=f"python -m helpers.seq2seq train {name} --minutes {minutes:g}",
        extra={"vocabulary": vocabulary, "lengths": {"max_prompt": config.max_prompt, "max_reply": config.max_reply}},
    )
    zoo.save(model, f"04_seq2seq/{name}", card)
    return card.to_dict()


def main(argv=None) -> int:

    parser = argparse.ArgumentParser(prog="python -m helpers.seq2seq")
    parser.add_argument("command", choices=["train"])
    parser.add_argument("name", choices=sorted(ZOO_MODELS))
    parser.add_argument(
        "--minutes", type=budget_minutes, default=None, help="training budget (default: the zoo setting)"
    )
    args = parser.parse_args(argv)

    check_versions()
    card = train_zoo_model(args.name, args.minutes)
    print(
        f"saved zoo/04_seq2seq/{args.name}.keras: test perplexity {card['metrics']['test_perplexity']} "
        f"(unigram baseline {card['metrics']['test_unigram_perplexity']}) after {card['training_seconds']:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
