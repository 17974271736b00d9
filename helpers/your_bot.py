"""Your own bot in one command: chat export -> (their message, your reply) pairs -> trained chatbot -> saved folder.

``make bot EXPORT=path/to/export ME="Your Name"`` runs
``python -m helpers.serve bot --export PATH --me NAME``, which calls :func:`train_your_bot`
and then serves the result. Everything lands in ``generated/your_bot/`` (git-ignored:
your messages never enter the repository): ``pairs.jsonl``, ``replies.json`` (the replies the
bot may choose), ``bot.keras`` (the fine-tuned generator; none for a very small export),
``bot.json`` (the card: vocabulary, sizes, metrics, ranking) and a checksum manifest.
Taught in: 06_deployment (the steps are notebook 01's parsers and notebook 04's fine-tuning
and ranking).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Iterable

from . import paths, seq2seq, zoo
from .chatbot import LOW_COVERAGE, ChatBot, RankSettings
from .chats import build_pairs, parse, write_jsonl
from .model_card import ModelCard
from .selector import SELECTOR_NAME, bank_reply, reply_text
from .setup import seed_everything

NAME = "bot"
#: The base's settings (lengths, batch size): a bot reads and writes as the zoo models do.
CONFIG = seq2seq.ZOO_CONFIG
#: Workshop-size fine-tuning of the zoo base (notebook 04's ``everyone``): a few minutes.
MINUTES = 3.0
#: The pretrained base every bot starts from (its vocabulary is the bot's vocabulary).
BASE = "04_seq2seq/everyone"
MIN_PAIRS = 1
#: Below this many pairs there is too little to fine-tune on: the bot answers with your own replies only.
MIN_FINE_TUNE_PAIRS = 100
FEW_PAIRS = 500


def default_folder() -> Path:
    """``generated/your_bot``: where ``make bot`` saves your bot. Taught in: 06_deployment."""
    return paths.generated("your_bot")


def output_folder(out: str | Path | None, force: bool = False) -> Path:
    """Where a new bot goes: ``out`` (default :func:`default_folder`), never over an existing bot without ``force``.

    With no ``out`` given, an occupied default gets a new name (``generated/your_bot_2``, ...);
    an ``out`` that holds a bot is an error unless ``force``. Taught in: 06_deployment.
    """
    folder = Path(out) if out is not None else default_folder()
    if force or not (folder / f"{NAME}.json").exists():
        return folder
    if out is not None:
        raise ValueError(
            f"{paths.shown(folder)} already holds a bot; pass --force to replace it (make bot FORCE=1), "
            f"or another --out folder"
        )
    number = 2
    while (folder.with_name(f"{folder.name}_{number}") / f"{NAME}.json").exists():
        number += 1
    return folder.with_name(f"{folder.name}_{number}")


def train_your_bot(
    export_paths: Iterable[str | Path],
    me: str,
    out: str | Path | None = None,
    minutes: float | None = None,
    max_gap_hours: float | None = 24.0,
    progress=print,
    verbose: int = 0,
    fmt: str = "auto",
    date_order: str = "auto",
    force: bool = False,
) -> Path:
    """Parse chat exports, pair the other person's messages with ``me``'s replies, fine-tune and save a bot.

    The bot is notebook 04's: the zoo's pretrained base (:data:`BASE`, every chit-chat
    speaker) fine-tuned on your pairs for ``minutes`` (default :data:`MINUTES`,
    ``seq2seq.fine_tune``), and the zoo's response selector ranking its candidates together
    with your own training replies (the style model is left out: it knows the corpus's
    "you", not you). Pairs are split by conversation (or by blocks of a few long
    conversations). With fewer than :data:`MIN_FINE_TUNE_PAIRS` pairs there is too little to
    fine-tune on: the bot is the selector over your replies alone, and a warning says so.
    ``fmt`` and ``date_order`` go to :func:`helpers.chats.parse`; the bot is saved in
    :func:`output_folder` (an existing bot is never overwritten without ``force``).
    Raises ``LookupError`` (from the pairing) when ``me`` wrote nothing, ``ValueError`` for a
    budget that is not positive, an export with no messages or an occupied ``out``. Returns the
    folder; :func:`load_bot` (or ``python -m helpers.serve run --bot FOLDER``) loads it. Taught in: 06_deployment.
    """
    minutes = MINUTES if minutes is None else float(minutes)
    if not minutes > 0:
        raise ValueError(f"minutes must be positive, got {minutes}")
    folder = output_folder(out, force)
    seed_everything(42)
    parsed = parse(list(export_paths), fmt=fmt, date_order=date_order)
    if not parsed.messages:
        raise ValueError(f"no messages found in {', '.join(map(str, export_paths))} ({parsed.summary()})")
    progress(parsed.summary())
    gap = timedelta(hours=max_gap_hours) if max_gap_hours else None
    paired = build_pairs(parsed.messages, me, max_gap=gap)
    if len(paired.pairs) < MIN_PAIRS:
        raise ValueError(f"no replies by {me!r} found in {parsed.files} file(s) ({parsed.summary()})")
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(paired.pairs, folder / "pairs.jsonl")
    progress(
        f"{len(parsed.messages):,} messages, {len(paired.pairs):,} (message, your reply) pairs -> {paths.shown(folder)}"
    )

    splits = seq2seq.split_pairs(seq2seq.tokenize_pairs(asdict(p) for p in paired.pairs))
    # the bank: every reply of yours the bot may choose (from the training split when there is one)
    bank_pairs = splits["train"] or [p for members in splits.values() for p in members]
    # as the bot may say them (whole, or cut after a sentence end: helpers.selector.bank_reply); should none be
    # sayable so, every reply cut at 25 tokens rather than no bank at all
    sayable = [reply for reply in (bank_reply(p["reply_tokens"]) for p in bank_pairs) if reply]
    bank = list(dict.fromkeys(sayable or [reply_text(p["reply_tokens"]) for p in bank_pairs]))
    (folder / "replies.json").write_text(json.dumps({"replies": bank}, ensure_ascii=False) + "\n", encoding="utf-8")
    zoo.add_file("replies.json", folder)
    ranking = {
        "selector": SELECTOR_NAME,
        "style": None,
        "replies": "replies.json",
        "settings": {**asdict(RankSettings()), "style": 0.0},
    }
    data = {
        "source": "your chat export (not stored in the card)",
        "files": parsed.files,
        "sha256": zoo.sha256_file(folder / "pairs.jsonl"),
        "pairs": len(paired.pairs),
        **{f"{name}_pairs": len(members) for name, members in splits.items()},
    }
    # "imitates": the name the chat page greets you with (the card stays in generated/, never in git)
    shared = {
        "lengths": {"max_prompt": CONFIG.max_prompt, "max_reply": CONFIG.max_reply},
        "ranking": ranking,
        "imitates": me,
    }
    reproduce = f"python -m helpers.serve bot --export PATH --me {me!r} --minutes {minutes:g}"
    for stale in (NAME + ".keras",):  # a selector-only bot must not pick up an older generator
        (folder / stale).unlink(missing_ok=True)
    if len(splits["train"]) < MIN_FINE_TUNE_PAIRS:
        progress(
            f"warning: {len(paired.pairs)} pairs are too few to fine-tune a generator (at least "
            f"{MIN_FINE_TUNE_PAIRS} for training): this bot answers with the best fitting of your {len(bank):,} "
            f"own replies"
        )
        card = ModelCard(
            data=data,
            hyperparameters={"generator": "none (too few pairs)", "bank": len(bank)},
            metrics={},
            training_seconds=0.0,
            reproduce=reproduce,
            extra={**shared, "generator": None, "vocabulary": list(seq2seq.SPECIALS)},
        )
        zoo.write_card(NAME, card, root=folder)
        progress(f"saved {paths.shown(folder / (NAME + '.json'))}")
        return folder

    if len(paired.pairs) < FEW_PAIRS:
        progress(
            f"warning: {len(paired.pairs)} pairs is very little; the bot will mostly repeat your own phrases "
            f"(a few thousand pairs make a bot worth talking to)"
        )
    vocabulary = zoo.card(BASE)["vocabulary"]
    encoded = {
        name: seq2seq.encode_pairs(members, vocabulary, CONFIG.max_prompt, CONFIG.max_reply)
        for name, members in splits.items()
    }
    known = 1 - seq2seq.oov_rate([p["reply_tokens"] for p in splits["train"]], vocabulary)
    if known < LOW_COVERAGE:
        progress(
            f"warning: only {known:.0%} of your words are in the base model's vocabulary (it learned English "
            "chit-chat): the rest become [UNK] to the generator, so its replies will not sound like you; the "
            "replies it picks from your own messages still will"
        )
    model = zoo.load(BASE)
    has_validation = len(encoded["validation"]) > 0
    progress(
        f"fine-tuning zoo/{BASE} for up to {minutes:g} min on {len(encoded['train']):,} pairs "
        f"({known:.0%} of your words are in its {len(vocabulary):,}-token vocabulary)"
    )
    start = time.perf_counter()
    history = seq2seq.fine_tune(
        model,
        encoded["train"],
        encoded["validation"] if has_validation else None,
        minutes * 60,
        batch_size=CONFIG.batch_size,
        verbose=verbose,
    )
    seconds = time.perf_counter() - start
    metrics = {
        "final_train_loss": round(float(history.history["loss"][-1]), 4),
        "epochs_run": len(history.history["loss"]),
    }
    if has_validation:
        metrics["val_perplexity"] = round(seq2seq.perplexity(model, encoded["validation"]), 3)
    if len(encoded["test"]):
        metrics["test_perplexity"] = round(seq2seq.perplexity(model, encoded["test"]), 3)
        metrics["test_unigram_perplexity"] = round(
            seq2seq.unigram_perplexity(encoded["train"], encoded["test"], len(vocabulary)), 3
        )
    card = ModelCard(
        data=data,
        hyperparameters={
            **asdict(CONFIG),
            "base": BASE,
            "learning_rate": seq2seq.FINE_TUNE_LEARNING_RATES[0],
            "final_learning_rate": seq2seq.FINE_TUNE_LEARNING_RATES[1],
            "budget_minutes": minutes,
            "vocabulary_coverage": round(known, 4),
        },
        metrics=metrics,
        history=history.history,
        training_seconds=round(seconds, 1),
        reproduce=reproduce,
        extra={**shared, "vocabulary": vocabulary},
    )
    zoo.save(model, NAME, card, root=folder)
    summary = ", ".join(f"{k} {v}" for k, v in metrics.items())
    progress(f"fine-tuned in {seconds:.0f} s ({summary}); saved {paths.shown(folder / (NAME + '.keras'))}")
    return folder


def load_bot(folder: str | Path):
    """Load a bot saved by :func:`train_your_bot` (checksums verified) as a :class:`helpers.chatbot.ChatBot`.

    Taught in: 06_deployment.
    """
    folder = Path(folder)
    if not (folder / f"{NAME}.json").exists():
        raise FileNotFoundError(
            f'{folder} holds no {NAME}.keras: train one with `make bot EXPORT=path/to/export ME="Your Name"`'
        )
    bot = ChatBot.from_zoo(NAME, root=folder)
    bot.name = f"{folder.name}/{NAME}"
    return bot


def load_chatbot(bot: str | Path):
    """A :class:`helpers.chatbot.ChatBot` from a ``make bot`` folder, or from the zoo by name (``04_seq2seq/you``).

    The server (``--bot``) and the TF Serving export accept either. Taught in: 06_deployment.
    """
    if Path(bot).is_dir():
        return load_bot(bot)
    known = zoo_bots()
    if str(bot) not in known:
        raise FileNotFoundError(
            f"no bot {str(bot)!r}: name a zoo bot ({', '.join(known)}) or a folder `make bot` wrote "
            "(generated/your_bot)"
        )
    return ChatBot.from_zoo(str(bot))


def zoo_bots() -> list[str]:
    """The zoo's chatbots, as ``--bot`` and :func:`load_chatbot` name them: every ``04_seq2seq`` model with a
    vocabulary in its card (``04_seq2seq/you``, the default, and the generators notebook 04 compares)."""
    manifest = zoo.read_manifest()
    names = sorted(
        name.removesuffix(".keras") for name in manifest if name.startswith("04_seq2seq/") and name.endswith(".keras")
    )
    return [name for name in names if "vocabulary" in zoo.card(name)]
