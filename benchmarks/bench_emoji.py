"""Emoji suggestion targets: neural vs TF-IDF sentiment, the emoticon test, suggestion latency and throughput.

Targets (issue "Notebook 05"), on 2 CPU cores:
- the zoo's neural sentiment model (CNN + GloVe LSTM ensemble) at least 2 macro-F1 points above the TF-IDF baseline
  on the held-out tweets (both retrained here from the same split, baseline, and read from the zoo, neural);
- emoticon test set: the suggester's top-3 accuracy above the majority baseline (both with the cross-fitted prior);
- suggestion latency p50 <= 10 ms per message; reported: messages/second in batches of 256.
"""

import time

import numpy as np

from helpers import bench, emoji_data, emoji_suggest, sentiment, zoo
from helpers.setup import seed_everything

MESSAGES = 300    # messages timed one at a time


def main() -> None:
    seed_everything(0)
    rows = []
    splits = sentiment.tweet_splits()
    train, test = splits["train"], splits["test"]
    baseline = sentiment.TfidfBaseline().fit(train["text"], train["label"])
    tfidf = sentiment.macro_f1(test["label"], baseline.predict_proba(test["text"]).argmax(1))
    model = zoo.load(sentiment.ZOO_NAME)
    neural = sentiment.macro_f1(test["label"], sentiment.predict_proba(model, test["text"]).argmax(1))
    rows.append({"measure": f"test macro-F1, zoo CNN + LSTM ensemble ({len(test['text']):,} tweets)", "value": neural,
                 "target": f">= {tfidf + 0.02:.4f}", "ok": bool(neural >= tfidf + 0.02)})
    rows.append({"measure": "test macro-F1, TF-IDF + logistic regression", "value": tfidf, "target": "", "ok": ""})
    rows.append({"measure": "gain of the ensemble over TF-IDF (points)", "value": 100 * (neural - tfidf),
                 "target": ">= 2", "ok": bool(neural - tfidf >= 0.02)})

    suggester = emoji_suggest.EmojiSuggester.from_zoo()
    messages = emoji_data.chitchat_emoticon_messages()
    report = emoji_suggest.evaluate_emoticons(suggester, messages)
    table = report["rows"]
    low, high = report["top3_gain_ci"]
    rows.append({"measure": f"emoticon top-3, suggester ({report['messages']:,} messages)",
                 "value": table["suggester"]["top3"], "target": f"> {table['majority']['top3']:.4f}",
                 "ok": bool(table["suggester"]["top3"] > table["majority"]["top3"])})
    for name in ("majority", "sentiment only", "name only", "ranking prior + sentiment"):
        rows.append({"measure": f"emoticon top-3, {name}", "value": table[name]["top3"], "target": "", "ok": ""})
    rows.append({"measure": "emoticon top-1, suggester / majority", "value": f"{table['suggester']['top1']:.4f} / "
                 f"{table['majority']['top1']:.4f}", "target": "", "ok": ""})
    rows.append({"measure": "suggester - majority top-3, 95% bootstrap interval", "value": f"[{low:+.4f}, {high:+.4f}]",
                 "target": "", "ok": ""})

    texts = [m["text"] for m in messages[:MESSAGES]]
    suggester.suggest(texts[0])  # trace the model before timing
    times = []
    for text in texts:
        start = time.perf_counter()
        suggester.suggest(text, k=5)
        times.append(time.perf_counter() - start)
    p50, p95 = np.percentile(np.asarray(times) * 1000, [50, 95])
    rows.append({"measure": f"suggest() latency p50 (ms, {len(texts)} chat messages)", "value": float(p50),
                 "target": "<= 10", "ok": bool(p50 <= 10)})
    rows.append({"measure": "suggest() latency p95 (ms)", "value": float(p95), "target": "", "ok": ""})
    batch = [m["text"] for m in messages[:256]]
    best = bench.timeit(lambda: suggester.suggest_batch(batch, k=5), repeat=5)["best_s"]
    rows.append({"measure": "messages/second, batches of 256", "value": len(batch) / best, "target": "", "ok": ""})
    bench.report("emoji", rows, notes="Neural F1 is the zoo model's (python -m helpers.sentiment train); the emoticon "
                 "prior is cross-fitted over 5 conversation folds.")


if __name__ == "__main__":
    main()
