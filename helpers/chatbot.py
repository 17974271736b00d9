"""``ChatBot``: raw message in, reply out: a fine-tuned generator, a response selector and a bank of real replies.

Notebook 04 builds and evaluates it; notebook 06 and the server (``helpers.serve``)
use exactly this class, so tokenization, truncation and decoding are the same
everywhere::

    bot = ChatBot.from_zoo()                 # zoo/04_seq2seq/you.keras + selector + style + your replies, verified
    bot.reply("how are you?")                # generate, then rank (the default)
    bot.replies(["hi", "what's up?"])        # a batch in one call
    bot.score(["do you like dogs?"], ["i love dogs", "i am from utah"])   # the relevance it ranks with
    bot.reply("how are you?", method="greedy")                            # the generator alone
    bot.reply("how are you?", method="beam", beam_width=4)
    bot.reply("how are you?", method="sample", temperature=0.8, top_k=20, seed=1)

**Generate, then rank** (``method="rank"``): for each message the generator writes a
greedy reply and several samples (one ``tf.function`` call for the whole batch),
the selector (``helpers.selector``) finds the nearest real replies that "you" wrote
in training, and every candidate is scored by

    relevance (the selector's cosine plus its weighted TF-IDF cosine plus its weighted sentence-channel
               cosine (MiniLM), minus ``anti_generic`` times the reply's fit to an average message: ``bot.score``)
    + ``style`` x the style model's log-odds that "you" wrote it
    + ``opening`` x (log p(its opening | message) - log p(its opening)) (``helpers.reply_kinds``)
    - ``repeat`` x the share of repeated words - ``echo`` x the words it copies from the message;

the best candidate is the reply.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from typing import Sequence

import numpy as np
import tensorflow as tf
from scipy import sparse

from . import emoji_data, seq2seq, zoo
from . import selector as response_selector  # a module import: helpers.selector imports this one too
from .mpnet import load_reader
from .reply_kinds import load_reply_kinds
from .setup import check_versions, quiet_native_stderr, with_one_blas_thread
from .text import MAX_CHARS, EmptyMessage, expand_slang, has_visible_text, tokenize  # noqa: F401 (both part of this API)

#: Zoo name of the default bot (attention, trained on the default "you").
ZOO_NAME = "04_seq2seq/you"
METHODS = ("rank", "greedy", "beam", "sample")
#: Below this share of a bot's own reply words in its generator's vocabulary, the bot's chats are mostly in a language
#: the generator does not speak (the base learned English chit-chat: its own replies read 0.97, Spanish chat about 0.3,
#: German 0.2): ``make bot`` warns, and the bot does not spell out chat abbreviations, whose dictionary holds common
#: words of other languages ("te", "tu", "mir", "da").
LOW_COVERAGE = 0.75
MAX_BEAM_WIDTH = 16
MAX_TEMPERATURE = 5.0


@dataclass(frozen=True)
class DecodeOptions:
    """How to decode a reply: one set of defaults for :meth:`ChatBot.reply`, the server's request schema
    and its batches (requests with equal options are decoded together). ``method`` ``None`` is the
    bot's default (``rank`` when it has a selector); ``max_len`` ``None`` is the model's reply limit.
    Taught in: 04_seq2seq_chatbot and 06_deployment.
    """

    method: str | None = None
    beam_width: int = 4
    temperature: float = 0.8
    top_k: int = 20
    seed: int = 0
    length_penalty: float = 0.6
    max_len: int | None = None


DEFAULT_DECODING = DecodeOptions()


@dataclass(frozen=True)
class RankSettings:
    """How ``method="rank"`` builds and scores candidates (the zoo bot's card stores its own).

    ``anti_generic`` (lambda): relevance is the cosine of the message and the reply minus
    lambda times the cosine of an *average* message and the reply, so a reply that fits
    every message ("yeah", "haha") gains less from fitting this one. Off by default: on the
    validation pairs lambda 0.25 and 0.5 left 1-of-100 where it was (0.232 -> 0.231 -> 0.232)
    and lowered the distinct-2 of the replies (0.431 -> 0.421 -> 0.415); the selector's in-batch
    training already counts a reply that fits every message against it.

    ``style``: the weight of the style model's log-odds that "you" wrote a candidate. That model likes long,
    story-like replies, and a log-odds spans several units where relevance differs by tenths, so a large weight
    picks a story over an answer ("i just got a puppy!" -> "the dog packed off four of our chickens..."). With
    every term of the score (and the linear echo penalty of the time), 1-of-100 on the validation pairs is 0.174 at
    0.05 (the weight until 2026-12-04), 0.239 at 0.02 and 0.246 at 0.01. With the echo penalty below, 0.01 gives 0.299
    and 0 gives 0.298; ``make bench``'s style classifier judges "you" 0.854 of the default replies to the validation
    messages at 0.01, 0.802 at 0 and 0.765 of the real replies (2026-12-04; the 0.79 at 0 against 0.81 for the real
    replies counted first could not be reproduced, and 0.01 wins on 1-of-100 either way).

    ``echo`` and ``echo_from`` penalise a reply that parrots the message: ``echo`` times the share of its distinct
    words the message has beyond ``echo_from``, rescaled to 0-1 (``echo * max(0, share - echo_from) /
    (1 - echo_from)``). MiniLM rates a copy of the message as a close fit ("do you play any sports?" -> "do you play
    any sports?"). Until 2026-12-04 the penalty was linear in the share (0.6 x share, ``echo_from`` 0), which also
    punished the words a true answer shares with its message ("i failed my exam" -> "...was the exam hard?"):
    1-of-100 with every term of the score was 0.246 on the validation pairs; from half the words on (1.0, 0.5) it is
    0.299, and no default reply to a validation message repeats three quarters of its words (real replies: 0.7%).
    Both were chosen on the validation pairs by a rule written first (``generated/exp/style_weight_rule.md``).

    ``sentence_generated``: when the selector has a sentence channel (MiniLM, ``helpers.sentence_encoder``),
    it scores every bank reply (their vectors are computed once) but only this many generated candidates
    per message, the best by the rest of the score; the others are dropped. A transformer is costly on
    2 cores and about 19 of 20 winners are bank replies, so ranking is a cascade: cheap terms first.
    """

    # sampled generator candidates besides the greedy one. 4 until 2026-12-03: the third and fourth samples won 8 of the
    # 571 test replies, mostly word salad ("yeah i have talked to the ipad and i mean it isnt more hard for hours");
    # without them a real reply won ("yeah just three i wish they had two grand prizes"), distinct-2 went 0.566 -> 0.569,
    # and a reply took 5-6 ms less (8 samples: +18 ms, the same diversity)
    samples: int = 2
    temperature: float = 0.9
    top_k: int = 40
    # nearest real replies per message from the bank, by the towers and the sentence channel. 10 until 2026-12-04: with 5,
    # 113 of 950 validation replies change; read blind in two samples of 20, 15 were better and 14 worse, no difference
    # reading can see, for a little less work. With 30, 6 better and 11 worse: among more neighbours the TF-IDF term's
    # shared words decide more near-ties ("Hey!" -> "hey! hello?" over "heyyy!") (generated/exp/retrieved_rule.md)
    retrieved: int = 5
    anti_generic: float = 0.0
    style: float = 0.01  # 0.05 until 2026-12-04 (see above)
    repeat: float = 0.5
    echo: float = 1.0  # 0.3 until the sentence channel, then 0.6 x share until 2026-12-04 (see above)
    echo_from: float = 0.5
    # with a sentence channel: generated candidates per message that it scores. 2 until 2026-12-03 night: with 1, one
    # default reply of the 571 test messages changes (a generated "oh wow i would love to go the next time to live in
    # europe?" gives way to the real "oh wow that is awesome what led you to go there?"), and a reply takes 56 ms
    # instead of 63 (p50), a batch of 16 messages 293 ms instead of 351 (generated/exp/sg_speed.py, alternating)
    sentence_generated: int = 1
    # weight of the reader's cosine (all-mpnet-base-v2, helpers.mpnet) in the relevance; 0 leaves the reader out (and
    # unloaded). Added on 2026-12-05 at 0.5, chosen on the validation pairs by a rule written first
    # (generated/exp/mpnet_rule.md): 1-of-100 of bot.score 0.317 -> 0.328 on validation, 0.231 -> 0.277 on test (scored
    # once); 193 of the 571 test replies change, and of 40 of them read blind 25 fit better, 6 worse. With int8 weights
    # (a reply 6 ms of reading instead of 45) validation stays 0.328 and test is 0.270 (scored once). It reads each
    # message and the generated candidate the sentence channel reads, so a reply takes longer (Recipe 8); the default
    # reply reads that candidate only if it could still win (since 2026-12-06: ChatBot.ranked's first_only)
    reader: float = 0.5
    # whether the reader's term also chooses which bank replies are retrieved (the nearest by the towers, the sentence
    # channel and the reader), not only ranks them. Measured on 2026-12-06 by a rule written first
    # (generated/exp/reader_pool_rule_s57.md): 298 of 1,074 default replies change (validation and the read lists); of
    # 40 read blind, 18 fit better with it, 12 worse; but one message took 3.1-5.1 ms longer (p50, alternating; the
    # rule allowed 3), though the added work is one product with the bank's vectors (0.6 ms); on the 30 everyday
    # messages it finds paraphrases of short questions ("what is your favorite color."): 13 fitting against 15. So off
    reader_retrieves: bool = False
    # weight of the opening term: log p(k | message) - log p(k), k how the candidate opens ("i like", "it was", "oh
    # nice"; helpers.reply_kinds), so an answer outranks the question's own paraphrase; 0 leaves the model out. Added on
    # 2026-12-06 at 0.05 by a rule written first (generated/exp/kind_rule_s58.md): the largest of 0.03 / 0.05 / 0.1
    # keeping validation 1-of-100 of the whole score (0.3242 -> 0.3305 / 0.3263 / 0.3179); 154 of 950 validation
    # replies change, and of 40 read blind 14 fit better, 9 worse; test 0.2574 -> 0.2767 (scored once)
    opening: float = 0.05

    def __post_init__(self):
        if not 0.0 <= self.echo_from < 1.0:
            raise ValueError(
                f"echo_from must be a share of a reply's words from 0 up to (not including) 1, got "
                f"{self.echo_from}: fix the ranking settings"
            )

    def penalty(self, repeat, echo_share):
        """The penalty of candidates (arrays broadcast): ``repeat`` times the share of a reply's words that are repeats,
        plus ``echo`` times the share of its distinct words the message has beyond ``echo_from``, rescaled to 0-1."""
        echo = np.maximum(0.0, np.asarray(echo_share, "float64") - self.echo_from) / (1 - self.echo_from)
        return self.repeat * np.asarray(repeat, "float64") + self.echo * echo

    def whole_score(self, parts: dict) -> np.ndarray:
        """The score ``rank`` orders candidates by, from :meth:`ChatBot.ranking_parts`: relevance + style weight x
        style log-odds + opening weight x opening term - :meth:`penalty`. Shape (messages, replies)."""
        return (
            parts["relevance"]
            + self.style * parts["style"][None, :]
            + self.opening * parts["opening"]
            - self.penalty(parts["repeat"][None, :], parts["echo_share"])
        )


def card_settings(settings: dict) -> dict:
    """A card's ranking settings as :class:`RankSettings` reads them. A card written before ``echo_from`` existed
    (2026-12-04) meant its ``echo`` linear in the shared words, which is ``echo_from`` 0; a card without ``echo``
    gets today's defaults for both."""
    settings = dict(settings)
    if "echo" in settings and "echo_from" not in settings:
        settings["echo_from"] = 0.0
    return settings


@dataclass(frozen=True)
class Candidate:
    """One candidate reply and why it scored as it did (``kind``: ``generated`` or ``retrieved``; ``opening``: the
    opening term, unweighted, 0 when the bot ranks without it)."""

    text: str
    kind: str
    score: float
    relevance: float
    style: float
    penalty: float
    opening: float = 0.0


class ChatBot:
    """Reply to raw messages: generate candidates with a seq2seq model, rank them with a selector.

    What happens to a message: it is cut to its first :data:`MAX_CHARS` characters,
    tokenized like the training data (lowercased ``TweetTokenizer``), and the last
    ``max_prompt`` tokens are kept (the words nearest the reply, as in training).
    Words outside the vocabulary (other scripts, rare words, most emoji) become
    ``[UNK]``; a message of only unknown words still gets a reply. A message with
    no text at all raises :class:`EmptyMessage`; a non-string raises ``TypeError``;
    options out of range raise ``ValueError`` naming the allowed range. Every decoder
    is kept from repeating any ``no_repeat_ngram``-gram within a reply (3 by default;
    0 lets the model loop as it likes).

    Parts: ``model`` (a ``seq2seq.build_model`` generator; ``None`` for a selector-only
    bot), ``selector`` (a ``helpers.selector.Selector``), ``bank`` (real replies "you" wrote,
    token strings), ``style`` (a Keras style model, optional) and ``mean_message`` (the
    selector's average message vector, for the anti-generic term). Without a selector the
    default method is ``greedy``; with one it is ``rank``.
    Taught in: 04_seq2seq_chatbot; used by 06_deployment and ``helpers.serve``.
    """

    def __init__(
        self,
        model,
        vocabulary: Sequence[str] | None,
        max_prompt: int,
        max_reply: int,
        name: str = "chatbot",
        no_repeat_ngram: int = 3,
        selector=None,
        bank: Sequence[str] = (),
        style=None,
        mean_message: np.ndarray | None = None,
        settings: RankSettings = RankSettings(),
        bank_sentence: np.ndarray | None = None,
    ):
        self.model = model
        self.max_prompt, self.max_reply, self.name = int(max_prompt), int(max_reply), name
        self.settings = settings
        self.selector, self.style = selector, style
        if style is not None:
            self._style = tf.function(
                lambda t: style(t, training=False), input_signature=[tf.TensorSpec([None], tf.string)]
            )
        if model is None and selector is None:
            raise ValueError("a ChatBot needs a generator model, a selector, or both")
        if model is not None:
            self.vocabulary = list(vocabulary)
            if self.vocabulary[: len(seq2seq.SPECIALS)] != list(seq2seq.SPECIALS):
                raise ValueError(f"vocabulary must start with {seq2seq.SPECIALS}, got {self.vocabulary[:4]}")
            self.decoder = seq2seq.Decoder(model, no_repeat_ngram, litert=True)  # candidates through LiteRT
            if self.decoder.vocab_size != len(self.vocabulary):
                raise ValueError(
                    f"the model predicts {self.decoder.vocab_size} tokens but the vocabulary has "
                    f"{len(self.vocabulary)}: model and vocabulary do not belong together"
                )
        else:
            self.vocabulary, self.decoder = list(vocabulary or seq2seq.SPECIALS), None
        self.index = {w: i for i, w in enumerate(self.vocabulary)}
        self.bank = list(dict.fromkeys(b for b in bank if b.strip()))  # distinct, in order
        if selector is not None:
            dim = selector.config.dim
            self.mean_message = (
                np.zeros(dim, "float32") if mean_message is None else np.asarray(mean_message, "float32")
            )
            self.bank_vectors = selector.encode_replies(self.bank, tokenized=True) if self.bank else np.zeros((0, dim))
            self.bank_sentence = None  # the sentence channel's vectors of the bank, when the selector has one
            if selector.has_sentence():
                if bank_sentence is None:
                    bank_sentence = selector.sentence_replies(self.bank, tokenized=True, cache=True)
                elif len(bank_sentence) != len(self.bank):
                    raise ValueError(
                        f"{len(bank_sentence)} sentence vectors for a bank of {len(self.bank)} replies: "
                        "remake them (python -m helpers.selector bank)"
                    )
                self.bank_sentence = np.asarray(bank_sentence, "float32")
            if model is None and not self.bank:
                raise ValueError("a selector-only bot needs a bank of replies to choose from")
        self._bank_row = {text: j for j, text in enumerate(self.bank)}
        self._bank_style: np.ndarray | None = None  # filled by prepare_bank()
        self._bank_lexical = None
        self.default_method = "rank" if selector is not None else "greedy"
        self.card: dict = {}  # the model card, for a bot loaded from the zoo (from_zoo)

    @classmethod
    def from_zoo(cls, name: str = ZOO_NAME, root=None, no_repeat_ngram: int = 3) -> "ChatBot":
        """Load a zoo bot: the generator and its card (vocabulary, lengths), and, when the card names
        them under ``ranking``, the selector and style model (from the repository's zoo) and the bank
        of replies (beside the card); all checksum-verified. ``root`` is another zoo folder, e.g. a
        ``make bot`` folder, whose card may say ``"generator": null`` (a selector-only bot)."""

        card = zoo.card(name, root)
        model = zoo.load(name, root) if card.get("generator", "keras") else None  # None: a selector-only bot
        parts = {}
        ranking = card.get("ranking")
        if ranking:  # the selector and style model come from the repository's zoo, the replies from the bot's folder
            selector = response_selector.Selector.from_zoo(ranking["selector"])
            bank = json.loads(zoo.verify_file(ranking["replies"], root).read_text(encoding="utf-8"))["replies"]
            parts = {
                "selector": selector,
                "bank": bank,
                "style": zoo.load(ranking["style"]) if ranking.get("style") else None,
                "mean_message": np.array(zoo.card(ranking["selector"])["mean_message"], "float32"),
                "settings": RankSettings(**card_settings(ranking.get("settings", {}))),
            }
        bot = cls(
            model,
            card["vocabulary"],
            card["lengths"]["max_prompt"],
            card["lengths"]["max_reply"],
            name=name,
            no_repeat_ngram=no_repeat_ngram,
            **parts,
        )
        bot.card = card  # what it was trained on and how well it does (the chat page's "about this bot")
        return bot

    # ------------------------------------------------------------------ input
    def prompt_tokens(self, message: str) -> list[str]:
        """The tokens the model reads for ``message`` (after truncation), unknown words shown as ``[UNK]``."""
        tokens = self.message_tokens(message)[-self.max_prompt :]
        if self.decoder is None:
            return tokens
        return [t if t in self.index else seq2seq.UNK for t in tokens]

    def message_tokens(self, message: str) -> list[str]:
        """The tokens of a message as every part of the bot reads it: a message of emoji alone is read as what its
        sender means (``emoji_data.emoji_as_words``: "😂" as "hahaha that's so funny", "👍" as "ok sounds good"; an
        emoji without a meaning as two of its words, "🐶" as "dog puppies"), since the corpus it learned
        from has almost no emoji and each would be one unknown token, every one answered alike; and a chat
        abbreviation the generator does not know is spelled out when it knows the words (``text.expand_slang``:
        "hbu" as "how about you", "gn" as "good night")."""
        tokens = self._tokens(message)  # type and emptiness checks first
        read = emoji_data.emoji_as_words(message[:MAX_CHARS])
        tokens = tokens if read == message[:MAX_CHARS] else tokenize(read)
        return expand_slang(tokens, self.index) if self.reads_slang else tokens

    @cached_property
    def reads_slang(self) -> bool:
        """Whether :meth:`message_tokens` spells out abbreviations: the bot has a generator, and its bank's replies
        (when it has one) are mostly words of its vocabulary (:data:`LOW_COVERAGE`). In Spanish, Italian or German
        chat, noslang would turn "te", "ho", "mir" into English (5-17% of chatterbot-corpus's messages in those
        languages would change)."""
        if self.decoder is None:
            return False
        return not self.bank or 1 - seq2seq.oov_rate([b.split() for b in self.bank], self.vocabulary) >= LOW_COVERAGE

    @staticmethod
    def _tokens(message: str) -> list[str]:
        if not isinstance(message, str):
            raise TypeError(f"message must be a string, got {type(message).__name__}")
        tokens = tokenize(message[:MAX_CHARS])
        if not tokens or not has_visible_text(message[:MAX_CHARS]):
            raise EmptyMessage("the message is empty: send some text (words, punctuation or emoji)")
        return tokens

    def encode(self, messages: Sequence[str]) -> np.ndarray:
        """Prompt ids of shape (len(messages), max_prompt) for a batch of raw messages."""
        return np.array(
            [seq2seq.encode_tokens(self.prompt_tokens(m), self.index, self.max_prompt) for m in messages], dtype="int32"
        )

    def _text(self, ids) -> str:
        return seq2seq.detokenize(seq2seq.ids_to_tokens(ids, self.vocabulary))

    def _check_options(
        self, method: str, beam_width: int, temperature: float, top_k: int, max_len: int | None, max_reply: int
    ) -> int:
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        if method == "rank" and self.selector is None:
            raise ValueError(f"{self.name} has no response selector: use method greedy, beam or sample")
        if method != "rank" and self.decoder is None:
            raise ValueError(f"{self.name} has no generator (too few pairs to fine-tune one): use method rank")
        if not 1 <= int(beam_width) <= MAX_BEAM_WIDTH:
            raise ValueError(f"beam_width must be between 1 and {MAX_BEAM_WIDTH}, got {beam_width}")
        if not 0 < float(temperature) <= MAX_TEMPERATURE:
            raise ValueError(f"temperature must be above 0 and at most {MAX_TEMPERATURE}, got {temperature}")
        if not 0 <= int(top_k):
            raise ValueError(f"top_k must be 0 (no limit) or positive, got {top_k}")
        max_len = max_reply if max_len is None else int(max_len)
        if not 1 <= max_len <= max_reply:
            raise ValueError(f"max_len must be between 1 and {max_reply} tokens, got {max_len}")
        return max_len

    # ------------------------------------------------------------------ replies
    def reply(
        self,
        message: str,
        method: str | None = DEFAULT_DECODING.method,
        beam_width: int = DEFAULT_DECODING.beam_width,
        temperature: float = DEFAULT_DECODING.temperature,
        top_k: int = DEFAULT_DECODING.top_k,
        seed: int = DEFAULT_DECODING.seed,
        length_penalty: float = DEFAULT_DECODING.length_penalty,
        max_len: int | None = DEFAULT_DECODING.max_len,
    ) -> str:
        """One reply to ``message``. ``method``: ``rank`` (the default when the bot has a selector),
        ``greedy``, ``beam`` (``beam_width``, ``length_penalty``) or ``sample`` (``temperature``,
        ``top_k``; the same ``seed`` gives the same reply)."""
        return self.replies([message], method, beam_width, temperature, top_k, seed, length_penalty, max_len)[0]

    @with_one_blas_thread  # NumPy's products on one thread: see helpers.setup.one_blas_thread
    def replies(
        self,
        messages: Sequence[str],
        method: str | None = DEFAULT_DECODING.method,
        beam_width: int = DEFAULT_DECODING.beam_width,
        temperature: float = DEFAULT_DECODING.temperature,
        top_k: int = DEFAULT_DECODING.top_k,
        seed: int = DEFAULT_DECODING.seed,
        length_penalty: float = DEFAULT_DECODING.length_penalty,
        max_len: int | None = DEFAULT_DECODING.max_len,
    ) -> list[str]:
        """Replies to a batch of messages: ranking, greedy and sampling handle the whole batch in one
        generator call; beam search runs one message at a time."""
        if isinstance(messages, str):
            raise TypeError("replies() takes a list of messages; use reply() for one message")
        return [
            text
            for text, _ in self._replies(
                messages, method, beam_width, temperature, top_k, seed, length_penalty, max_len
            )
        ]

    def _replies(
        self, messages, method, beam_width, temperature, top_k, seed, length_penalty, max_len
    ) -> list[tuple[str, str]]:
        """:meth:`replies`, each with where it came from (see :meth:`decode_kinds`)."""
        method = method or self.default_method
        max_len = self._check_options(method, beam_width, temperature, top_k, max_len, self.max_reply)
        if not messages:
            return []
        if method == "rank":
            ranked = self.ranked(messages, seed=seed, max_len=max_len, first_only=True)
            return [(row[0].text, row[0].kind) for row in ranked]
        prompts = self.encode(messages)
        if method == "greedy":
            ids, _ = self.decoder.greedy(prompts, max_len)
        elif method == "sample":
            ids = self.decoder.sample(prompts, max_len, float(temperature), int(top_k), int(seed))
        else:
            ids = [
                self.decoder.beam(prompts[i : i + 1], max_len, int(beam_width), float(length_penalty))[0][0]
                for i in range(len(prompts))
            ]
        return [(self._text(row), "generated") for row in ids]

    def decode(self, messages: Sequence[str], options: DecodeOptions = DEFAULT_DECODING) -> list[str]:
        """:meth:`replies` with its options as one :class:`DecodeOptions` (what the server batches by)."""
        return self.replies(messages, **asdict(options))

    @with_one_blas_thread  # NumPy's products on one thread: see helpers.setup.one_blas_thread
    def decode_kinds(self, messages: Sequence[str], options: DecodeOptions = DEFAULT_DECODING) -> list[tuple[str, str]]:
        """:meth:`decode`, each reply with where it came from (its candidate's ``kind``): ``"retrieved"``, a real reply
        that "you" wrote in the training chats, found in the bank and said again, or ``"generated"``, written by the
        generator (every reply of greedy, beam and sampling; now and then the generator writes, word for word, a reply
        the bank also holds, and it stays ``"generated"``). The chat page shows which (``/api/chat``'s ``kind``)."""
        if isinstance(messages, str):
            raise TypeError("decode_kinds() takes a list of messages")
        return self._replies(messages, **asdict(options))

    # ------------------------------------------------------------------ generate, then rank
    def _shifted_messages(self, tokenized: list[str]) -> np.ndarray:
        """Selector vectors of (tokenized) messages shifted by the anti-generic term: m - lambda * mean message."""
        vectors = self.selector.encode_messages(tokenized, tokenized=True)
        return vectors - self.settings.anti_generic * self.mean_message[None, :]

    def _reader(self):
        """The reader (``helpers.mpnet``), when the bot ranks with it: loaded on first use, once per process."""
        if self.selector is None or not self.settings.reader:
            return None
        return load_reader()  # built on first use: a bot that does not rank with it never builds it

    def _kinds(self):
        """The reply-kinds model (``helpers.reply_kinds``), when the bot ranks with it: loaded once per process."""
        if self.selector is None or not self.settings.opening:
            return None
        return load_reply_kinds()

    @cached_property
    def _bank_kinds(self) -> np.ndarray:
        """Each bank reply's kind (an index into the reply-kinds model's kinds), found once."""
        return self._kinds().kind_ids([reply.split()[: self.max_reply] for reply in self.bank])

    def _opening_term(self, message_ratios, owner: np.ndarray, texts: list[str], rows: np.ndarray) -> np.ndarray:
        """The opening term of each candidate (token strings, bank row or -1): its message's row of
        ``log p(k | m) - log p(k)`` (``message_ratios``, (B, kinds)) at the candidate's kind; zeros when the bot
        ranks without kinds (``message_ratios`` None)."""
        if message_ratios is None or not texts:
            return np.zeros(len(texts))
        ids = np.zeros(len(texts), "int64")
        ids[rows >= 0] = self._bank_kinds[rows[rows >= 0]]
        if (rows < 0).any():
            ids[rows < 0] = self._kinds().kind_ids([t.split() for t, r in zip(texts, rows) if r < 0])
        return message_ratios[owner, ids]

    @cached_property
    def _bank_reader(self) -> np.ndarray:
        """The reader's vectors of the bank (n, 768), computed once per machine (``generated/cache/``)."""
        return self._reader().encode_cached(self.bank) if self.bank else np.zeros((0, 768), "float32")

    def _reader_vectors(self, texts: list[str]) -> np.ndarray:
        """The reader's vectors of token strings: packed rows through LiteRT in one call for a server's batch."""
        reader = self._reader()
        return (reader.encode_few if len(texts) <= 64 else reader.encode)(list(texts))

    def _reader_term(
        self, messages: list[str], owner: np.ndarray, texts: list[str], rows: np.ndarray, read=None
    ) -> np.ndarray:
        """``reader`` times the reader's cosine of each candidate (token strings, bank row or -1) with its message
        (``messages[owner]``): the messages and the candidates that are not bank replies in one call. ``read``:
        ``(message vectors, {text: vector})`` the reader already gave; what it lacks is read in one more call."""
        reader = self._reader()
        if reader is None or not len(texts):
            return np.zeros(len(texts))
        fresh = [t for t, r in zip(texts, rows) if r < 0]
        if read is None:
            vectors = self._reader_vectors(list(messages) + fresh)
            message_vectors, known = vectors[: len(messages)], dict(zip(fresh, vectors[len(messages) :]))
        else:
            message_vectors, known = read[0], dict(read[1])
            missing = [t for t in dict.fromkeys(fresh) if t not in known]
            if missing:  # a bank reply cut shorter than the bank keeps it: rare
                known.update(zip(missing, self._reader_vectors(missing)))
        candidates = np.zeros((len(texts), message_vectors.shape[1]), "float32")
        candidates[rows >= 0] = self._bank_reader[rows[rows >= 0]]
        if fresh:
            candidates[rows < 0] = np.stack([known[t] for t in fresh])
        return self.settings.reader * np.einsum("rd,rd->r", message_vectors[owner], candidates)

    def _has_lexical(self) -> bool:
        return self.selector.lexical is not None and bool(self.selector.lexical_weight)

    def prepare_bank(self) -> "ChatBot":
        """Compute once the parts of a candidate's score that do not depend on the message for every bank
        reply: its style log-odds and its TF-IDF row (its selector vector is computed when the bot is built).
        A ranked batch then runs the style and TF-IDF models on its generated candidates only; the
        scores are the same. About 4 s for the zoo bank (10,136 replies when measured; 8,570 since 2026-12-04) on
        2 cores, so the server does it while it warms up, and a notebook need not. Returns the bot."""
        if self.selector is None or not self.bank:
            return self
        self._bank_style = np.concatenate(
            [self._style_log_odds(self.bank[i : i + 1024]) for i in range(0, len(self.bank), 1024)]
        )
        if self._has_lexical():  # sparse (N, V): a row has a few dozen non-zeros
            self._bank_lexical = sparse.vstack(
                [
                    sparse.csr_matrix(self.selector.lexical_vectors(self.bank[i : i + 256], tokenized=True))
                    for i in range(0, len(self.bank), 256)
                ],
                format="csr",
            )
        return self

    def bank_replies(self, max_len: int | None = None) -> list[str]:
        """The bank's real replies as :meth:`ranked` says them when one wins: cut to ``max_len`` words (the
        bot's reply limit by default) and detokenized. The server suggests their emoji once, at warm-up."""
        max_len = max_len or self.max_reply
        return [seq2seq.detokenize(reply.split()[:max_len]) for reply in self.bank]

    def _reply_parts(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Selector vectors (R, dim) and style log-odds (R,) of candidate replies (token strings), and each
        one's row in the bank (-1 if it is not a bank reply). A bank reply's parts are looked up (its vector
        always, its style after :meth:`prepare_bank`); the others are computed, in one batch each."""
        rows = np.array([self._bank_row.get(t, -1) for t in texts], "int64")
        in_bank = rows >= 0
        vectors = np.zeros((len(texts), self.selector.config.dim), "float32")
        vectors[in_bank] = self.bank_vectors[rows[in_bank]]
        if not in_bank.all():
            vectors[~in_bank] = self.selector.encode_replies(
                [t for t, b in zip(texts, in_bank) if not b], tokenized=True
            )
        cached = in_bank if self._bank_style is not None else np.zeros(len(texts), bool)
        style = np.zeros(len(texts))
        if cached.any():
            style[cached] = self._bank_style[rows[cached]]
        style[~cached] = self._style_log_odds([t for t, c in zip(texts, cached) if not c])
        return vectors, style, rows

    def _lexical_pairs(self, message_vectors, which: list[int], replies: list[str], rows=None) -> np.ndarray:
        """The selector's weighted TF-IDF cosine of each reply (token strings) with its message, whose TF-IDF
        row is ``message_vectors[which[i]]`` (``selector.lexical_vectors`` of the batch's messages, computed
        once per batch). With ``rows`` (bank rows, -1 for none; from :meth:`_reply_parts`) after
        :meth:`prepare_bank`, a bank reply's TF-IDF row is looked up instead of computed."""
        if not self._has_lexical() or not replies:
            return np.zeros(len(replies))
        which = np.asarray(which, "int64")
        cached = np.zeros(len(replies), bool) if rows is None or self._bank_lexical is None else rows >= 0
        out = np.zeros(len(replies))
        if cached.any():  # the dot product over each bank row's few non-zeros
            bank_rows = self._bank_lexical[rows[cached]]  # sparse (C, V)
            owner = np.repeat(np.arange(bank_rows.shape[0]), np.diff(bank_rows.indptr))
            products = bank_rows.data * message_vectors[which[cached][owner], bank_rows.indices]
            out[cached] = np.bincount(owner, weights=products, minlength=bank_rows.shape[0])
        if not cached.all():
            fresh = self.selector.lexical_vectors([r for r, c in zip(replies, cached) if not c], tokenized=True)
            out[~cached] = (fresh @ message_vectors.T)[np.arange(len(fresh)), which[~cached]]
        return self.selector.lexical_weight * out

    @with_one_blas_thread  # NumPy's products on one thread: see helpers.setup.one_blas_thread
    def score(self, messages: Sequence[str], replies: Sequence[str]) -> np.ndarray:
        """How well each reply fits each message, as the bot ranks them: shape (len(messages), len(replies)),
        higher fits better. Raw strings in. The selector's cosine plus its weighted TF-IDF cosine plus its
        weighted sentence-channel cosine (MiniLM, when it has one) plus the reader's weighted cosine (all-mpnet-base-v2,
        ``RankSettings.reader``), minus the anti-generic term (see :class:`RankSettings`); the style and repetition
        terms, which do not depend on the message, are left out.
        """
        if self.selector is None:
            raise ValueError(f"{self.name} has no response selector to score with")
        for label, texts in (("messages", messages), ("replies", replies)):
            if isinstance(texts, str):
                raise TypeError(f"score() takes a list of {label}, not one string")
            if len(texts) == 0:
                raise ValueError(f"score() needs at least one of the {label}")
        tokenized_messages = [" ".join(self.message_tokens(m)) for m in messages]
        tokenized_replies = []
        for reply in replies:
            try:
                tokenized_replies.append(" ".join(self._tokens(reply)))
            except EmptyMessage:
                raise EmptyMessage("a reply is empty: every candidate reply needs some text") from None
        reply_vectors = self.selector.encode_replies(tokenized_replies, tokenized=True)
        dense = self._shifted_messages(tokenized_messages) @ reply_vectors.T
        if self._has_lexical():
            dense = dense + self.selector.lexical_weight * self.selector.lexical_score(
                tokenized_messages, tokenized_replies, tokenized=True
            )
        if self.selector.has_sentence():
            dense = dense + self.selector.sentence_weight * self.selector.sentence_score(
                tokenized_messages, tokenized_replies, tokenized=True
            )
        reader = self._reader()
        if reader is not None:
            vectors = reader.encode(tokenized_messages + tokenized_replies)
            n = len(tokenized_messages)
            dense = dense + self.settings.reader * (vectors[:n] @ vectors[n:].T)
        return dense

    def _style_log_odds(self, texts: list[str]) -> np.ndarray:
        if self.style is None or not texts:
            return np.zeros(len(texts))
        p = np.asarray(self._style(np.asarray(texts, dtype=object)), dtype="float64")[:, 0]
        p = np.clip(p, 1e-4, 1 - 1e-4)
        return np.log(p / (1 - p))

    @with_one_blas_thread  # NumPy's products on one thread: see helpers.setup.one_blas_thread
    def ranked(
        self, messages: Sequence[str], seed: int = 0, max_len: int | None = None, first_only: bool = False
    ) -> list[list[Candidate]]:
        """Every candidate for every message, best first (the first is what ``reply`` says). Generated candidates
        that ``max_len`` stopped before they ended are left out (about one in six; they stop mid-sentence).

        ``first_only`` (what :meth:`replies` and the server use): the reader (``RankSettings.reader``) reads the
        messages first, and a generated candidate only if it could still come first: if its score without the
        reader's term, plus the most that term can add (its weight times a cosine of 1), reaches the best bank
        reply's whole score for its message. The others are left out of the lists unread; the first candidate is
        the same either way. About 57% of the generated candidates the reader read could not win (validation
        messages, 2026-12-06), and a reading costs as much as the rest of the ranking on a CPU without int8
        arithmetic (``generated/exp/prune_rule_s59.md``)."""
        if isinstance(messages, str):
            raise TypeError("ranked() takes a list of messages")
        if not messages:
            return []
        settings, max_len = self.settings, max_len or self.max_reply
        tokens = [self.message_tokens(m) for m in messages]
        tokenized = [" ".join(t) for t in tokens]
        generated: list[tuple[int, str]] = []  # (message, candidate as a token string), each once per message
        if self.decoder is not None:
            temperatures = [0.0] + [settings.temperature] * settings.samples
            ids = self.decoder.candidates(self.encode(messages), max_len, temperatures, settings.top_k, seed)
            for b, rows in enumerate(ids):
                seen = set()
                # a candidate that max_len stopped before [END] ends mid-sentence: not a reply to say, unless
                # nothing else could be said (no bank, and no candidate of this message finished)
                finished = [row for row in rows if seq2seq.END_ID in row]
                for row in finished if finished or self.bank else rows:
                    text = " ".join(seq2seq.ids_to_tokens(row, self.vocabulary))
                    if text and text not in seen:
                        seen.add(text)
                        generated.append((b, text))
        shifted = self._shifted_messages(tokenized)  # (B, dim)
        # (B, V): the messages' TF-IDF rows, once for the batch (B is small)
        lexical = self.selector.lexical_vectors(tokenized, tokenized=True) if self._has_lexical() else None
        kind_model = self._kinds()
        ratios = None if kind_model is None else kind_model.log_ratios(tokenized)  # (B, kinds)
        parts = self._candidate_parts(tokens, lexical, shifted, generated, ratios)
        sentence_messages = None  # (B, 384): the sentence channel's message vectors, times its weight
        if self.bank_sentence is not None:  # a cascade: see RankSettings.sentence_generated
            keep = self._best_generated(parts["owner"], parts["rows"], parts["partial"])
            generated = [g for g, k in zip(generated, keep) if k]
            parts = {key: value[keep] for key, value in parts.items()}
            fresh = parts["rows"] < 0
            # one MiniLM call for the messages and the generated candidates that are not bank replies
            message_vectors, fresh_vectors = self.selector.sentence_vectors_of(
                tokenized, [t for (_, t), f in zip(generated, fresh) if f], tokenized=True
            )
            sentence_messages = self.selector.sentence_weight * message_vectors
            parts["sentence"] = self._bank_sentence_rows(parts["rows"])
            parts["sentence"][fresh] = fresh_vectors
        retrieved: list[tuple[int, str]] = []
        read = None  # the reader's vectors of the messages and the fresh generated candidates, when it retrieves too
        if settings.reader_retrieves and len(self.bank) and settings.retrieved and self._reader() is not None:
            fresh = [t for (_, t), r in zip(generated, parts["rows"]) if r < 0]
            vectors = self._reader_vectors(tokenized + fresh)
            read = (vectors[: len(tokenized)], dict(zip(fresh, vectors[len(tokenized) :])))
        if len(self.bank) and settings.retrieved:
            fit = shifted @ self.bank_vectors.T  # (B, N)
            if sentence_messages is not None:
                fit = fit + sentence_messages @ self.bank_sentence.T
            if read is not None:
                fit = fit + settings.reader * read[0] @ self._bank_reader.T
            k = min(settings.retrieved, len(self.bank))
            nearest = np.argpartition(-fit, k - 1, axis=1)[:, :k]
            for b, rows in enumerate(nearest):
                have = {t for owner, t in generated if owner == b}
                for j in rows:  # a real reply is cut to max_len words, as the generator's are
                    text = " ".join(self.bank[j].split()[:max_len])
                    if text not in have:
                        have.add(text)
                        retrieved.append((b, text))
        found = self._candidate_parts(tokens, lexical, shifted, retrieved, ratios)
        if sentence_messages is not None:
            found["sentence"] = self._bank_sentence_rows(found["rows"])
            cut = found["rows"] < 0  # a bank reply cut shorter than the bank keeps it (max_len): rare
            if cut.any():
                found["sentence"][cut] = self.selector.sentence_replies(
                    [t for (_, t), c in zip(retrieved, cut) if c], tokenized=True
                )
        parts = {key: np.concatenate([parts[key], found[key]]) for key in found}
        candidates = generated + retrieved
        kinds = ["generated"] * len(generated) + ["retrieved"] * len(retrieved)
        owner, relevance = parts["owner"], parts["relevance"]
        if sentence_messages is not None:
            relevance = relevance + np.einsum("rd,rd->r", sentence_messages[owner], parts["sentence"])
        if first_only and read is None and self._reader() is not None and (parts["rows"] < 0).any():
            read = (self._reader_vectors(tokenized), {})  # the messages now, the candidates that could win next
            rest = relevance + settings.style * parts["style"] + settings.opening * parts["opening"] - parts["penalty"]
            keep = self._could_be_first(owner, parts["rows"], rest, read[0])
            candidates = [c for c, k in zip(candidates, keep) if k]
            kinds = [k for k, kept in zip(kinds, keep) if kept]
            parts = {key: value[keep] for key, value in parts.items()}
            owner, relevance = parts["owner"], relevance[keep]
        relevance = relevance + self._reader_term(tokenized, owner, [t for _, t in candidates], parts["rows"], read)
        total = relevance + settings.style * parts["style"] + settings.opening * parts["opening"] - parts["penalty"]
        out: list[list[Candidate]] = [[] for _ in messages]
        for i, (b, text) in enumerate(candidates):
            out[b].append(
                Candidate(
                    seq2seq.detokenize(text.split()),
                    kinds[i],
                    round(float(total[i]), 4),
                    round(float(relevance[i]), 4),
                    round(float(parts["style"][i]), 4),
                    round(float(parts["penalty"][i]), 4),
                    round(float(parts["opening"][i]), 4),
                )
            )
        return [sorted(row, key=lambda c: -c.score) for row in out]

    def _could_be_first(
        self, owner: np.ndarray, rows: np.ndarray, rest: np.ndarray, message_vectors: np.ndarray
    ) -> np.ndarray:
        """Which candidates could come first once the reader's term is added (:meth:`ranked`'s ``first_only``): every
        bank reply (its reader vector is ready) and each other candidate whose score without the term (``rest``),
        plus the term's largest value (the reader's weight times a cosine of 1: its vectors have unit length; a
        thousandth more for rounding), is at least the best bank reply's whole score for its message."""
        bank = rows >= 0
        best = np.full(len(message_vectors), -np.inf)
        if bank.any():
            term = np.einsum("rd,rd->r", message_vectors[owner[bank]], self._bank_reader[rows[bank]])
            np.maximum.at(best, owner[bank], rest[bank] + self.settings.reader * term)
        return bank | (rest + abs(self.settings.reader) * 1.001 >= best[owner])

    def _candidate_parts(
        self, tokens, lexical, shifted, candidates: list[tuple[int, str]], ratios=None
    ) -> dict[str, np.ndarray]:
        """What :meth:`ranked` needs of ``(message, candidate)`` pairs besides the sentence channel, as arrays:
        ``owner`` (the message), ``rows`` (bank row or -1), ``relevance`` (selector cosine + TF-IDF term: what
        :meth:`score` gives without the sentence channel), ``style``, ``opening`` (the opening term, unweighted;
        ``ratios`` are the batch's messages' kind log-ratios, or None), ``penalty`` and ``partial`` (the score so far,
        which the cascade ranks generated candidates by)."""
        texts = [t for _, t in candidates]
        owner = np.array([b for b, _ in candidates], "int64")
        vectors, style, rows = self._reply_parts(texts)
        overlap = self._lexical_pairs(lexical, list(owner), texts, rows)
        relevance = np.einsum("rd,rd->r", shifted[owner], vectors) + overlap if texts else np.zeros(0)
        shares = np.array([self._word_shares(text.split(), set(tokens[b])) for b, text in zip(owner, texts)])
        penalty = self.settings.penalty(*shares.T) if texts else np.zeros(0)
        opening = self._opening_term(ratios, owner, texts, rows)
        partial = relevance + self.settings.style * style + self.settings.opening * opening - penalty
        return {
            "owner": owner,
            "rows": rows,
            "relevance": relevance,
            "style": style,
            "opening": opening,
            "penalty": penalty,
            "partial": partial,
        }

    @staticmethod
    def _word_shares(words: list[str], message_words: set[str]) -> tuple[float, float]:
        """A candidate's (tokens) share of repeated tokens and share of distinct tokens that its message has. Tokens,
        punctuation included: "congrats ! ! !" counts two repeats. Counting words only was measured on 2026-12-04
        (validation 1-of-100 0.299 -> 0.300; of 20 changed replies read blind, 5 better, 7 worse) and not kept."""
        distinct = set(words)
        return 1 - len(distinct) / len(words), len(distinct & message_words) / len(distinct)

    def ranking_parts(self, messages: Sequence[str], replies: Sequence[str]) -> dict[str, np.ndarray]:
        """The terms of the score :meth:`ranked` orders candidates by, for every message and reply (raw strings,
        each reply cut to the bot's reply limit as a bank reply is): ``relevance`` (M, R) (:meth:`score`),
        ``style`` (R,) (the style model's log-odds), ``repeat`` (R,), ``echo_share`` (M, R) (the share of the
        reply's distinct words that the message has) and ``opening`` (M, R) (``log p(k | m) - log p(k)`` of the reply's
        opening kind; zeros when the bot ranks without kinds). ``settings.whole_score(parts)`` weighs them; compute
        them once to compare weights. Taught in: 04_seq2seq_chatbot."""
        relevance = self.score(messages, replies)
        reply_tokens = [self._tokens(r)[: self.max_reply] for r in replies]
        message_tokens = [self.message_tokens(m) for m in messages]
        shares = np.array([[self._word_shares(t, set(words)) for t in reply_tokens] for words in message_tokens])
        kind_model = self._kinds()
        if kind_model is None:
            opening = np.zeros(relevance.shape)
        else:
            ratios = kind_model.log_ratios([" ".join(words) for words in message_tokens])
            opening = ratios[:, kind_model.kind_ids(reply_tokens)]
        return {
            "relevance": relevance,
            "opening": opening,
            "style": self._style_log_odds([" ".join(t) for t in reply_tokens]),
            "repeat": shares[0, :, 0],
            "echo_share": shares[:, :, 1],
        }

    def ranking_score(self, messages: Sequence[str], replies: Sequence[str]) -> np.ndarray:
        """The whole score :meth:`ranked` orders candidates by, for every message and reply: :meth:`score` plus
        the style weight times the style log-odds, minus the repeat and echo penalties (:class:`RankSettings`).
        Shape (len(messages), len(replies)); raw strings in. Its 1-of-100 says how often the reply the bot would
        choose among 100 is the true one (``make bench BENCH=chatbot``)."""
        return self.settings.whole_score(self.ranking_parts(messages, replies))

    def _bank_sentence_rows(self, rows: np.ndarray) -> np.ndarray:
        """Sentence-channel vectors of bank rows (zeros where a row is -1)."""
        out = np.zeros((len(rows), self.bank_sentence.shape[1]), "float32")
        out[rows >= 0] = self.bank_sentence[rows[rows >= 0]]
        return out

    def _best_generated(self, owner: np.ndarray, rows: np.ndarray, partial: np.ndarray) -> np.ndarray:
        """Which candidates the sentence channel scores: every bank reply (its vector is ready) and, of each
        message's other candidates, the ``sentence_generated`` best by the score without that channel."""
        keep = rows >= 0
        for b in np.unique(owner):
            fresh = np.flatnonzero((owner == b) & (rows < 0))
            best = fresh[np.argsort(-partial[fresh], kind="stable")[: self.settings.sentence_generated]]
            keep[best] = True
        return keep

    # ------------------------------------------------------------------ the generator alone
    def beam_candidates(
        self, message: str, beam_width: int = 4, length_penalty: float = 0.6
    ) -> list[tuple[str, float]]:
        """All ``beam_width`` hypotheses of beam search with their length-normalised log-probabilities."""
        self._check_options("beam", beam_width, 1.0, 0, None, self.max_reply)
        seqs, scores = self.decoder.beam(self.encode([message]), self.max_reply, int(beam_width), float(length_penalty))
        return [(self._text(row), float(score)) for row, score in zip(seqs, scores)]

    def attention(self, message: str) -> tuple[list[str], list[str], np.ndarray]:
        """Greedy reply with its attention weights: (prompt tokens, reply tokens, weights (reply, prompt))."""
        if self.decoder is None or self.decoder.attention is None:
            raise ValueError(f"{self.name} has no attention layer")
        prompt = self.prompt_tokens(message)
        encoded = np.array([seq2seq.encode_tokens(prompt, self.index, self.max_prompt)], dtype="int32")
        ids, weights = self.decoder.greedy(encoded, self.max_reply)
        reply = seq2seq.ids_to_tokens(ids[0], self.vocabulary)
        rows = len(reply) + (1 if seq2seq.END_ID in ids[0] else 0)
        shown = reply + ([seq2seq.END] if rows > len(reply) else [])
        return prompt, shown, weights[0, :rows, : len(prompt)]

    def __repr__(self) -> str:
        parts = []
        if self.decoder is not None:
            kind = "attention" if self.decoder.attention is not None else "no attention"
            parts.append(
                f"generator: {len(self.vocabulary):,} tokens, {kind}, no_repeat_ngram={self.decoder.no_repeat_ngram}"
            )
        if self.selector is not None:
            parts.append(f"selector over {len(self.bank):,} real replies" + (", style model" if self.style else ""))
        return (
            f"ChatBot({self.name!r}, {'; '.join(parts)}; prompt <= {self.max_prompt} tokens, "
            f"reply <= {self.max_reply} tokens, default method {self.default_method})"
        )


def main(argv=None) -> int:
    """Chat with a zoo bot in the terminal: ``python -m helpers.chatbot [--method beam] [--name generated/your_bot]``.

    Reads one message per line from standard input (type or pipe), prints one reply per
    line. Typed, an empty line ends the chat; piped, an empty line gets an empty line back (so the
    output keeps the input's lines) and the end of the input ends it. Bad messages print an error
    line and go on.
    """

    parser = argparse.ArgumentParser(prog="python -m helpers.chatbot", description=main.__doc__.split("\n")[0])
    parser.add_argument(
        "--name",
        default=ZOO_NAME,
        help=f"a zoo bot (default {ZOO_NAME}) or a folder `make bot` wrote (generated/your_bot)",
    )
    parser.add_argument("--method", default=None, choices=METHODS, help="default: rank (generate, then rank)")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--beam-width", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-reader", action="store_true", help="rank without the bigger reader (faster, less apt)")
    args = parser.parse_args(argv)

    check_versions()
    try:
        with quiet_native_stderr():  # TensorFlow's one-time native notes on the first run of each op
            from .your_bot import load_chatbot  # noqa: PLC0415 (your_bot imports this module)

            bot = load_chatbot(args.name)  # as the server's --bot: a zoo bot's name or a make bot folder
            if args.no_reader:
                bot.settings = replace(bot.settings, reader=0.0)
            bot.reply("hello", method=args.method)
    except (zoo.ZooError, FileNotFoundError, ValueError) as err:  # a missing or damaged model or package; a method
        print(f"error: {err}", file=sys.stderr)  # the bot cannot use: one line, and what to do
        return 2
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"{bot}\ntype a message and press Enter; an empty line ends the chat")
    for number, line in enumerate(sys.stdin):
        message = line.rstrip("\n")
        if not message.strip():
            if interactive:
                break
            print(flush=True)  # a blank line of a piped file: one blank line out, and on to the next
            continue
        try:
            reply = bot.reply(
                message,
                method=args.method,
                temperature=args.temperature,
                beam_width=args.beam_width,
                seed=args.seed + number,
            )
        except ValueError as err:
            print(f"error: {err}", flush=True)
            continue
        print(f"bot> {reply}" if interactive else reply, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
