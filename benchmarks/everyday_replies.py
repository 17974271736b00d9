"""Read the bot's replies to 30 everyday messages yourself: the check no number replaces (issue "Notebook 04 and the bot").

    .venv/bin/python benchmarks/everyday_replies.py            # the zoo bot's default reply to each message
    .venv/bin/python benchmarks/everyday_replies.py --top 4    # and the next 4 candidates, with their scores
    .venv/bin/python benchmarks/everyday_replies.py --bot generated/your_bot

The messages are ``benchmarks/everyday_messages.txt`` (one per line; the first ten are notebook 04's side-by-side
table). Not part of ``make bench``: it has no target, only replies to judge. Decide for each reply whether a person
would find it fitting and in character, and say how many in the closing note.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository, for `python benchmarks/...`
from helpers.setup import quiet_native_logs  # noqa: E402

quiet_native_logs()

MESSAGES = Path(__file__).resolve().parent / "everyday_messages.txt"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=0, help="also show this many runners-up")
    parser.add_argument("--bot", default=None, help="a `make bot` folder instead of the zoo bot")
    args = parser.parse_args(argv)
    if args.top < 0:
        print("error: --top must be 0 or more", file=sys.stderr)
        return 2
    from helpers.chatbot import ZOO_NAME
    from helpers.your_bot import load_chatbot
    from helpers.zoo import ZooError

    try:
        bot = load_chatbot(args.bot or ZOO_NAME)
    except (ZooError, ValueError, LookupError, FileNotFoundError) as err:  # one line, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2
    messages = [line for line in MESSAGES.read_text(encoding="utf-8").splitlines() if line.strip()]
    for number, (message, ranked) in enumerate(zip(messages, bot.ranked(messages)), 1):
        best = ranked[0]
        print(f"{number:2d}. {message}\n    {best.text}   ({best.kind})")
        for c in ranked[1 : args.top + 1]:
            print(
                f"        {c.text}   ({c.kind}, score {c.score:.2f}: relevance {c.relevance:.2f}, style {c.style:.1f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
