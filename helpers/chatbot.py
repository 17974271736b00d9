"""``ChatBot``: a trained seq2seq model plus its vocabulary, taking a raw string and returning a reply string.

Notebook 04 builds and evaluates it; notebook 06 and the server (``helpers.serve``)
use exactly this class, so tokenization, truncation and decoding are the same
everywhere::

    bot = ChatBot.from_zoo()                 # zoo/04_seq2seq/you.keras, checksum-verified
    bot.reply("how are you?")                # greedy
    bot.reply("how are you?", method="beam", beam_width=4)
    bot.reply("how are you?", method="sample", temperature=0.8, top_k=20, seed=1)
    bot.replies(["hi", "what's up?"])        # a batch in one call
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from . import seq2seq
from .text import tokenize

#: Zoo name of the default bot (attention, trained on the default "you").
ZOO_NAME = "04_seq2seq/you"
#: Characters of a message that are read; the rest is ignored (documented truncation).
MAX_CHARS = 2000
METHODS = ("greedy", "beam", "sample")
MAX_BEAM_WIDTH = 16
MAX_TEMPERATURE = 5.0


class EmptyMessage(ValueError):
    """The message holds no text at all (empty or only whitespace/invisible characters)."""


class ChatBot:
    """Reply to raw messages with a seq2seq model (``helpers.seq2seq.build_model``).

    What happens to a message: it is cut to its first :data:`MAX_CHARS` characters,
    tokenized like the training data (lowercased ``TweetTokenizer``), and the last
    ``max_prompt`` tokens are kept (the words nearest the reply, as in training).
    Words outside the vocabulary (other scripts, rare words, most emoji) become
    ``[UNK]``; a message of only unknown words still gets a reply. A message with
    no text at all raises :class:`EmptyMessage`; a non-string raises ``TypeError``;
    options out of range raise ``ValueError`` naming the allowed range. Every decoder
    is kept from repeating any ``no_repeat_ngram``-gram within a reply (3 by default;
    0 lets the model loop as it likes).
    Taught in: 04_seq2seq_chatbot; used by 06_deployment and ``helpers.serve``.
    """

    def __init__(self, model, vocabulary: Sequence[str], max_prompt: int, max_reply: int, name: str = "chatbot",
                 no_repeat_ngram: int = 3):
        self.model = model
        self.vocabulary = list(vocabulary)
        if self.vocabulary[: len(seq2seq.SPECIALS)] != list(seq2seq.SPECIALS):
            raise ValueError(f"vocabulary must start with {seq2seq.SPECIALS}, got {self.vocabulary[:4]}")
        self.index = {w: i for i, w in enumerate(self.vocabulary)}
        self.max_prompt, self.max_reply, self.name = int(max_prompt), int(max_reply), name
        self.decoder = seq2seq.Decoder(model, no_repeat_ngram)
        if self.decoder.vocab_size != len(self.vocabulary):
            raise ValueError(f"the model predicts {self.decoder.vocab_size} tokens but the vocabulary has "
                             f"{len(self.vocabulary)}: model and vocabulary do not belong together")

    @classmethod
    def from_zoo(cls, name: str = ZOO_NAME, root=None, no_repeat_ngram: int = 3) -> "ChatBot":
        """Load a zoo model and its card (vocabulary, lengths), both checksum-verified."""
        from . import zoo

        card = zoo.card(name, root)
        model = zoo.load(name, root)
        return cls(model, card["vocabulary"], card["lengths"]["max_prompt"], card["lengths"]["max_reply"], name=name,
                   no_repeat_ngram=no_repeat_ngram)

    # ------------------------------------------------------------------ input
    def prompt_tokens(self, message: str) -> list[str]:
        """The tokens the model reads for ``message`` (after truncation), unknown words shown as ``[UNK]``."""
        if not isinstance(message, str):
            raise TypeError(f"message must be a string, got {type(message).__name__}")
        tokens = tokenize(message[:MAX_CHARS])
        if not tokens:
            raise EmptyMessage("the message is empty: send some text (words, punctuation or emoji)")
        return [t if t in self.index else seq2seq.UNK for t in tokens[-self.max_prompt:]]

    def encode(self, messages: Sequence[str]) -> np.ndarray:
        """Prompt ids of shape (len(messages), max_prompt) for a batch of raw messages."""
        return np.array([seq2seq.encode_tokens(self.prompt_tokens(m), self.index, self.max_prompt)
                         for m in messages], dtype="int32")

    def _text(self, ids) -> str:
        return seq2seq.detokenize(seq2seq.ids_to_tokens(ids, self.vocabulary))

    @staticmethod
    def _check_options(method: str, beam_width: int, temperature: float, top_k: int, max_len: int | None,
                       max_reply: int) -> int:
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
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
    def reply(self, message: str, method: str = "greedy", beam_width: int = 4, temperature: float = 0.8,
              top_k: int = 20, seed: int = 0, length_penalty: float = 0.6, max_len: int | None = None) -> str:
        """One reply to ``message``. ``method``: ``greedy``, ``beam`` (``beam_width``, ``length_penalty``)
        or ``sample`` (``temperature``, ``top_k``; the same ``seed`` gives the same reply)."""
        return self.replies([message], method, beam_width, temperature, top_k, seed, length_penalty, max_len)[0]

    def replies(self, messages: Sequence[str], method: str = "greedy", beam_width: int = 4,
                temperature: float = 0.8, top_k: int = 20, seed: int = 0, length_penalty: float = 0.6,
                max_len: int | None = None) -> list[str]:
        """Replies to a batch of messages: greedy and sampling decode the whole batch in one call;
        beam search runs one message at a time."""
        if isinstance(messages, str):
            raise TypeError("replies() takes a list of messages; use reply() for one message")
        max_len = self._check_options(method, beam_width, temperature, top_k, max_len, self.max_reply)
        if not messages:
            return []
        prompts = self.encode(messages)
        if method == "greedy":
            ids, _ = self.decoder.greedy(prompts, max_len)
            return [self._text(row) for row in ids]
        if method == "sample":
            ids = self.decoder.sample(prompts, max_len, float(temperature), int(top_k), int(seed))
            return [self._text(row) for row in ids]
        return [self._text(self.decoder.beam(prompts[i:i + 1], max_len, int(beam_width), float(length_penalty))[0][0])
                for i in range(len(prompts))]

    def beam_candidates(self, message: str, beam_width: int = 4, length_penalty: float = 0.6) -> list[tuple[str, float]]:
        """All ``beam_width`` hypotheses of beam search with their length-normalised log-probabilities."""
        self._check_options("beam", beam_width, 1.0, 0, None, self.max_reply)
        seqs, scores = self.decoder.beam(self.encode([message]), self.max_reply, int(beam_width), float(length_penalty))
        return [(self._text(row), float(score)) for row, score in zip(seqs, scores)]

    def attention(self, message: str) -> tuple[list[str], list[str], np.ndarray]:
        """Greedy reply with its attention weights: (prompt tokens, reply tokens, weights (reply, prompt))."""
        if self.decoder.attention is None:
            raise ValueError(f"{self.name} has no attention layer")
        prompt = self.prompt_tokens(message)
        encoded = np.array([seq2seq.encode_tokens(prompt, self.index, self.max_prompt)], dtype="int32")
        ids, weights = self.decoder.greedy(encoded, self.max_reply)
        reply = seq2seq.ids_to_tokens(ids[0], self.vocabulary)
        rows = len(reply) + (1 if seq2seq.END_ID in ids[0] else 0)
        shown = reply + ([seq2seq.END] if rows > len(reply) else [])
        return prompt, shown, weights[0, :rows, : len(prompt)]

    def __repr__(self) -> str:
        kind = "attention" if self.decoder.attention is not None else "no attention"
        return (f"ChatBot({self.name!r}, {len(self.vocabulary):,} tokens, {kind}, "
                f"prompt <= {self.max_prompt} tokens, reply <= {self.max_reply} tokens, "
                f"no_repeat_ngram={self.decoder.no_repeat_ngram})")


def main(argv=None) -> int:
    """Chat with a zoo bot in the terminal: ``python -m helpers.chatbot [--method beam]``.

    Reads one message per line from standard input (type or pipe), prints one reply per
    line; an empty line or end of input stops. Bad messages print an error line and go on.
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m helpers.chatbot", description=main.__doc__.split("\n")[0])
    parser.add_argument("--name", default=ZOO_NAME, help=f"zoo model (default {ZOO_NAME})")
    parser.add_argument("--method", default="sample", choices=METHODS)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--beam-width", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from .setup import check_versions

    check_versions()
    bot = ChatBot.from_zoo(args.name)
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"{bot}\ntype a message and press Enter; an empty line ends the chat")
    for number, line in enumerate(sys.stdin):
        message = line.rstrip("\n")
        if not message.strip():
            break
        try:
            reply = bot.reply(message, method=args.method, temperature=args.temperature,
                              beam_width=args.beam_width, seed=args.seed + number)
        except ValueError as err:
            print(f"error: {err}", flush=True)
            continue
        print(f"bot> {reply}" if interactive else reply, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
