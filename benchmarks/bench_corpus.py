"""Parse speed of the chat helpers on the chit-chat corpus (issue: notebook 01).

Measures messages per second for: reading chit-chat into messages, merging
turns and building "you" pairs, building all-speaker pairs, and parsing a
large synthetic WhatsApp export (the text format with the most work per line), with its
peak memory (tracemalloc) against the file's size: the parser streams the file, so the
peak is the messages it keeps, not the file held whole (target: a few times the file size).
"""

import tempfile
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

from helpers import bench, chats, corpora

REPEAT = 3


def synthetic_whatsapp(path: Path, n: int) -> None:
    start = datetime(2020, 1, 1, 8, 0)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            stamp = start + timedelta(minutes=i)
            who = "Alex Kim" if i % 3 else "Sam Rivera"
            hour = stamp.strftime("%I").lstrip("0")
            out.write(f"{stamp:%m/%d/%y}, {hour}:{stamp:%M}\u202f{stamp:%p} - {who}: message number {i} :)\n")
            if i % 10 == 0:
                out.write("a second line of a multi-line message\n")


def main() -> None:
    rows = []
    parsed = None

    def load():
        nonlocal parsed
        parsed = corpora.load_chitchat()

    timing = bench.timeit(load, repeat=REPEAT, warmup=0)
    n = len(parsed.messages)
    rows.append(
        {
            "step": "read chit-chat (json -> messages)",
            "messages": n,
            "best_s": timing["best_s"],
            "messages_per_s": n / timing["best_s"],
        }
    )
    me = corpora.top_sender(parsed.messages)
    result = {}
    timing = bench.timeit(lambda: result.update(you=chats.build_pairs(parsed.messages, me)), repeat=REPEAT)
    rows.append(
        {
            "step": "turns + pairs for default you",
            "messages": n,
            "best_s": timing["best_s"],
            "messages_per_s": n / timing["best_s"],
            "pairs": len(result["you"].pairs),
        }
    )
    timing = bench.timeit(lambda: result.update(all=chats.build_pairs(parsed.messages, None)), repeat=REPEAT)
    rows.append(
        {
            "step": "turns + pairs, all speakers",
            "messages": n,
            "best_s": timing["best_s"],
            "messages_per_s": n / timing["best_s"],
            "pairs": len(result["all"].pairs),
        }
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big_chat.txt"
        synthetic_whatsapp(path, 200_000)
        timing = bench.timeit(lambda: result.update(wa=chats.parse_whatsapp(path)), repeat=REPEAT)
        m = len(result["wa"].messages)
        tracemalloc.start()
        chats.parse_whatsapp(path)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        size = path.stat().st_size
        rows.append(
            {
                "step": "parse WhatsApp .txt (synthetic)",
                "messages": m,
                "best_s": timing["best_s"],
                "messages_per_s": m / timing["best_s"],
                "file_mb": size / 1e6,
                "peak_mb": peak / 1e6,
                "peak_per_file_size": peak / size,
            }
        )
    bench.report("corpus", rows, notes=f"default you = {me} ({chats.senders(parsed.messages)[me]} messages)")


if __name__ == "__main__":
    main()
