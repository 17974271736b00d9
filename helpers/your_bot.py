"""Your own bot in one command: chat export -> (their message, your reply) pairs -> trained chatbot -> saved folder.

``make bot EXPORT=path/to/export ME="Your Name"`` runs
``python -m helpers.serve bot --export PATH --me NAME``, which calls :func:`train_your_bot`
and then serves the result. Everything lands in ``generated/your_bot/`` (git-ignored:
your messages never enter the repository): ``pairs.jsonl``, ``bot.keras``, ``bot.json``
(the card: vocabulary, sizes, metrics) and a checksum manifest. Taught in: 06_deployment
(the steps are notebook 01's parsers and notebook 04's model and training).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Iterable

from . import paths, seq2seq

NAME = "bot"
#: Workshop-size training: notebook 04's architecture with fewer units, a few minutes of training.
CONFIG = {**seq2seq.ZOO_CONFIG, "units": 128, "minutes": 3.0}
MIN_PAIRS = 5
FEW_PAIRS = 500


def _shown(path: Path) -> str:
    """``path`` relative to the repository when it is inside it (shorter, and no home folder in outputs)."""
    try:
        return str(Path(path).resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)


def default_folder() -> Path:
    """``generated/your_bot``: where ``make bot`` saves your bot. Taught in: 06_deployment."""
    return paths.generated("your_bot")


def train_your_bot(export_paths: Iterable[str | Path], me: str, out: str | Path | None = None,
                   minutes: float | None = None, max_gap_hours: float | None = 24.0, progress=print,
                   verbose: int = 0) -> Path:
    """Parse chat exports, pair the other person's messages with ``me``'s replies, train and save a bot.

    The model is notebook 04's encoder-decoder with attention, its embedding started from
    the zoo word vectors (notebook 02), trained for ``minutes`` (default
    ``CONFIG["minutes"]``) with the learning rate annealed over that time. Pairs are split
    by conversation (or by blocks of a few long conversations) into train/validation/test;
    the card reports the test perplexity when the test split has pairs. Raises
    ``ValueError`` when the export holds fewer than :data:`MIN_PAIRS` replies by ``me``.
    Returns the folder; :func:`load_bot` (or ``python -m helpers.serve run --bot FOLDER``) loads it.
    Taught in: 06_deployment.
    """
    import keras

    from . import zoo
    from .bench import machine
    from .char_rnn import time_budget
    from .chats import build_pairs, parse, write_jsonl
    from .setup import seed_everything

    folder = Path(out) if out is not None else default_folder()
    minutes = CONFIG["minutes"] if minutes is None else float(minutes)
    if not minutes > 0:
        raise ValueError(f"minutes must be positive, got {minutes}")
    seed_everything(42)
    parsed = parse(list(export_paths))
    gap = timedelta(hours=max_gap_hours) if max_gap_hours else None
    paired = build_pairs(parsed.messages, me, max_gap=gap)
    if len(paired.pairs) < MIN_PAIRS:
        raise ValueError(f"only {len(paired.pairs)} replies by {me!r} found in {parsed.files} file(s) "
                         f"({parsed.summary()}); at least {MIN_PAIRS} are needed")
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(paired.pairs, folder / "pairs.jsonl")
    progress(f"{len(parsed.messages):,} messages, {len(paired.pairs):,} (message, your reply) pairs "
             f"-> {_shown(folder)}")
    if len(paired.pairs) < FEW_PAIRS:
        progress(f"warning: {len(paired.pairs)} pairs is very little; the bot will mostly repeat your commonest "
                 f"phrases (a few thousand pairs make a bot worth talking to)")

    # notebook 04's preparation on your pairs; words seen once count when the export is small
    min_count = CONFIG["min_count"] if len(paired.pairs) >= 2500 else 1
    data = seq2seq.prepare(config={**CONFIG, "min_count": min_count}, pairs=[asdict(p) for p in paired.pairs])
    vocabulary, encoded = data["vocabulary"], data["encoded"]
    matrix, coverage = seq2seq.initial_embedding(vocabulary, CONFIG["embedding_dim"])
    model = seq2seq.build_model(len(vocabulary), CONFIG["embedding_dim"], CONFIG["units"], True, CONFIG["dropout"],
                                CONFIG["learning_rate"], matrix)
    has_validation = len(encoded["validation"]) > 0
    callbacks = [time_budget(minutes * 60, CONFIG["learning_rate"], CONFIG["final_learning_rate"]),
                 keras.callbacks.EarlyStopping(monitor="val_loss" if has_validation else "loss", patience=3,
                                               restore_best_weights=True)]
    progress(f"training for up to {minutes:g} min on {len(encoded['train']):,} pairs "
             f"({len(vocabulary):,} tokens, {coverage['coverage']:.0%} with zoo word vectors)")
    start = time.perf_counter()
    history = model.fit(encoded["train"].dataset(CONFIG["batch_size"]),
                        validation_data=encoded["validation"].dataset(256, shuffle=False) if has_validation else None,
                        epochs=10_000, callbacks=callbacks, verbose=verbose)
    seconds = time.perf_counter() - start
    metrics = {"final_train_loss": round(float(history.history["loss"][-1]), 4),
               "epochs_run": len(history.history["loss"])}
    if has_validation:
        metrics["val_perplexity"] = round(seq2seq.perplexity(model, encoded["validation"]), 3)
    if len(encoded["test"]):
        metrics["test_perplexity"] = round(seq2seq.perplexity(model, encoded["test"]), 3)
        metrics["test_unigram_perplexity"] = round(
            seq2seq.unigram_perplexity(encoded["train"], encoded["test"], len(vocabulary)), 3)
    card = {
        "data": {"source": "your chat export (not stored in the card)", "files": parsed.files,
                 "sha256": zoo.sha256_file(folder / "pairs.jsonl"), "pairs": len(paired.pairs),
                 "train_pairs": len(encoded["train"]), "validation_pairs": len(encoded["validation"]),
                 "test_pairs": len(encoded["test"])},
        "vocabulary": vocabulary,
        "lengths": {"max_prompt": CONFIG["max_prompt"], "max_reply": CONFIG["max_reply"]},
        "hyperparameters": {**CONFIG, "min_count": min_count, "attention": True, "budget_minutes": minutes,
                            "embedding_init": "zoo/02_word2vec/chitchat_vectors",
                            "embedding_coverage": round(coverage["coverage"], 4)},
        "metrics": metrics,
        "training_seconds": round(seconds, 1),
        "machine": machine(),
        "reproduce": f"python -m helpers.serve bot --export PATH --me {me!r} --minutes {minutes:g}",
    }
    zoo.save(model, NAME, card, root=folder)
    summary = ", ".join(f"{k} {v}" for k, v in metrics.items())
    progress(f"trained in {seconds:.0f} s ({summary}); saved {_shown(folder / (NAME + '.keras'))}")
    return folder


def load_bot(folder: str | Path):
    """Load a bot saved by :func:`train_your_bot` (checksums verified) as a :class:`helpers.chatbot.ChatBot`.

    Taught in: 06_deployment.
    """
    from .chatbot import ChatBot

    folder = Path(folder)
    if not (folder / f"{NAME}.keras").exists():
        raise FileNotFoundError(f"{folder} holds no {NAME}.keras: train one with "
                                f"`make bot EXPORT=path/to/export ME=\"Your Name\"`")
    bot = ChatBot.from_zoo(NAME, root=folder)
    bot.name = f"{folder.name}/{NAME}"
    return bot



def load_chatbot(bot: str | Path):
    """A :class:`helpers.chatbot.ChatBot` from a ``make bot`` folder, or from the zoo by name (``04_seq2seq/you``).

    The server (``--bot``) and the TF Serving export accept either. Taught in: 06_deployment.
    """
    from .chatbot import ChatBot

    return load_bot(bot) if Path(bot).is_dir() else ChatBot.from_zoo(str(bot))
