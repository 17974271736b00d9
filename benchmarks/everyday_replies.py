"""Read the bot's replies to 30 everyday messages yourself: the check no number replaces (issue "Notebook 04 and the bot").

    .venv/bin/python benchmarks/everyday_replies.py            # the zoo bot's default reply to each message
    .venv/bin/python benchmarks/everyday_replies.py --top 4    # and the next 4 candidates, with their scores
    .venv/bin/python benchmarks/everyday_replies.py --bot generated/your_bot
    .venv/bin/python benchmarks/everyday_replies.py --messages benchmarks/chat_style_messages.tsv

The messages are ``benchmarks/everyday_messages.txt`` (one per line; the first ten are notebook 04's side-by-side
table). ``--messages`` reads another list: one message per line, optionally a tab and what a fitting reply does
(shown under the reply); lines starting with ``#`` are comments. ``benchmarks/chat_style_messages.tsv`` holds 74
messages as people type them (emoji alone, abbreviations, words with emoji), ``benchmarks/emoji_alone_messages.tsv``
20 more of emoji alone, written after the emoji's words were chosen, ``benchmarks/emoji_alone_fresh_messages.tsv`` 30
more that judged reading emoji alone as what their sender means (``data/emoji_meanings.tsv``). Not part of ``make
bench``: it has no target, only replies to judge. Decide for each reply whether a person would find it fitting and in
character, and say how many in the closing note.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository, for `python benchmarks/...`
from helpers.setup import quiet_native_logs  # noqa: E402

quiet_native_logs()

MESSAGES = Path(__file__).resolve().parent / "everyday_messages.txt"


def read_messages(path) -> list[tuple[str, str]]:
    """``(message, what a fitting reply does or "")`` for each line of ``path`` that is not blank or a ``#`` comment."""
    listed = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            message, _, fits = line.partition("\t")
            if message.strip():
                listed.append((message, fits.strip()))
    if not listed:
        raise ValueError("it holds no message")
    return listed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=0, help="also show this many runners-up")
    parser.add_argument("--bot", default=None, help="a `make bot` folder instead of the zoo bot")
    parser.add_argument("--messages", default=str(MESSAGES), help="a list of messages (default: the 30 everyday ones)")
    args = parser.parse_args(argv)
    if args.top < 0:
        print("error: --top must be 0 or more", file=sys.stderr)
        return 2
    try:
        listed = read_messages(args.messages)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        print(f"error: cannot read --messages {args.messages}: {err}", file=sys.stderr)
        return 2
    from helpers.chatbot import ZOO_NAME
    from helpers.your_bot import load_chatbot
    from helpers.zoo import ZooError

    try:
        bot = load_chatbot(args.bot or ZOO_NAME)
    except (ZooError, ValueError, LookupError, FileNotFoundError) as err:  # one line, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2
    messages = [message for message, _ in listed]
    for number, ((message, fits), ranked) in enumerate(zip(listed, bot.ranked(messages)), 1):
        best = ranked[0]
        print(f"{number:2d}. {message}\n    {best.text}   ({best.kind})")
        if fits:
            print(f"    fits if it: {fits}")
        for c in ranked[1 : args.top + 1]:
            print(
                f"        {c.text}   ({c.kind}, score {c.score:.2f}: relevance {c.relevance:.2f}, style {c.style:.1f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
