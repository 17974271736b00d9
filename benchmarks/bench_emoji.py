"""Emoji suggestion targets: sentiment vs TF-IDF, the labelled sets, the emoticon test, latency and throughput.

Targets (issues "Notebook 05" and "emoji a person would pick"), on 2 CPU cores:
- the zoo's sentiment model (a CNN + GloVe LSTM ensemble averaged with a word + character TF-IDF model) at least 2
  macro-F1 points above the word TF-IDF baseline on the held-out tweets (the baseline retrained here from the same
  split, the zoo model read from the zoo);
- the labelled mood set (data/emoji_messages.tsv; weights and the mood reader cross-fitted over 5 folds of its 107
  messages, notebook 05's recipe): an acceptable emoji in the top 3 for >= 85% of messages; 😂 first for no sad or angry message; on messages of a clear mood (love, happy,
  sad, angry, funny) the top emoji's polarity agrees with the mood's in >= 90%;
- the same three on the 467 messages of emoji_data.TRAINING_SETS (the mood set and the fresh, holdout, blind,
  sealed, reserve and seventh sets, written for the project, each first scored before it was read): since the
  default's words mood reader (2026-12-07) learns from every read set, they are scored by the suggester learned on the
  later sets without them (emoji_suggest.words_leave_one_set_out); before it, the mood reader and the weights were
  cross-fitted over 5 folds of the 467; each set's share of that run is reported too;
- the same three on the eighth set (data/emoji_messages_eighth.tsv: 60 messages written after all the others had
  been read, first scored once on 2026-12-04 to judge learning from every read set; read since, never learned
  from) and on the ninth (data/emoji_messages_ninth.tsv: 60 more, first scored once on 2026-12-04 night to judge a
  feeling student, not kept; never learned from), the tenth (data/emoji_messages_tenth.tsv: 60 more, first scored
  once on 2026-12-05 to judge a distilled mood student, not kept; never learned from) and the eleventh
  (data/emoji_messages_eleventh.tsv: 60 more, first scored once on 2026-12-05 evening to judge a transformer mood
  student; never learned from) and the twelfth (data/emoji_messages_twelfth.tsv: 60 more, first scored once on
  2026-12-05 night to judge that student as the default, not adopted; never learned from) and the thirteenth
  (data/emoji_messages_thirteenth.tsv: 60 more, first scored once on 2026-12-06 to judge a face the message names
  keeping first place, kept; never learned from) and the fourteenth (data/emoji_messages_fourteenth.tsv: 60 more,
  first scored once on 2026-12-06 evening to judge 😂 held back from messages of unclear feeling, kept; never learned
  from) and the fifteenth (data/emoji_messages_fifteenth.tsv: 60 more, first scored once on 2026-12-07 to judge a
  mood reader that reads words too, not adopted; never learned from) and the sixteenth
  (data/emoji_messages_sixteenth.tsv: 60 more, first scored once on 2026-12-07 to judge that reader with the topic
  parts' weights held, not adopted; never learned from) and the seventeenth (data/emoji_messages_seventeenth.tsv: 60
  more, first scored once on 2026-12-07 to judge a mood reader of words learned from every read set with the topic
  emoji in its weights' objective, adopted and the default since), each scored, since the default learns from them
  all, by the suggester learned on every other read set (before 2026-12-07: the zoo suggester as it was, which never
  learned from them): they stand in for the issue's hidden set;
- the same on the 467 (cross-fitted) and the later sets, and the speed, for the opt-in reader
  (EmojiSuggester.from_zoo(reader=True): everyday moods read by all-mpnet-base-v2, helpers.everyday_moods), which
  is not the default because it reads about a seventh as many messages a second; the later sets and the speed for
  its distilled student (EmojiSuggester.from_zoo(student=True), helpers.mood_student), not the default either
  (judged on the twelfth set by a rule written first: more accepted and better agreement, but 😂 first on one sad
  message where the default put it on none);
- emoticon test set: the suggester's top-3 accuracy above the majority baseline, bootstrap interval above zero
  (both with the cross-fitted prior);
- suggestion latency p50 <= 10 ms per message; >= 1,500 messages/second in batches of 256.
"""

import time
from collections import Counter

import numpy as np

from helpers import bench, emoji_data, emoji_suggest, sentiment, zoo
from helpers.setup import quiet_native_stderr, seed_everything

MESSAGES = 300  # messages timed one at a time


def main() -> None:
    seed_everything(0)
    rows = []
    splits = sentiment.tweet_splits()
    train, test = splits["train"], splits["test"]
    baseline = sentiment.TfidfBaseline().fit(train["text"], train["label"])
    tfidf = sentiment.macro_f1(test["label"], baseline.predict_proba(test["text"]).argmax(1))
    model = zoo.load(sentiment.ZOO_NAME)
    neural = sentiment.macro_f1(test["label"], sentiment.predict_proba(model, test["text"]).argmax(1))
    share = zoo.card(sentiment.ZOO_NAME)["hyperparameters"]["tfidf_share"]
    rows.append(
        {
            "measure": f"test macro-F1, zoo sentiment: CNN + LSTM ensemble averaged with word + character TF-IDF "
            f"({share:g} of it; {len(test['text']):,} tweets)",
            "value": neural,
            "target": f">= {tfidf + 0.02:.4f}",
            "ok": bool(neural >= tfidf + 0.02),
        }
    )
    for part, label in (("ensemble", "its CNN + LSTM ensemble alone"), ("tfidf", "its TF-IDF model alone")):
        alone = sentiment.predict_proba(model.get_layer(part), test["text"]).argmax(1)
        rows.append(
            {
                "measure": f"test macro-F1, {label}",
                "value": sentiment.macro_f1(test["label"], alone),
                "target": "",
                "ok": "",
            }
        )
    rows.append({"measure": "test macro-F1, TF-IDF + logistic regression", "value": tfidf, "target": "", "ok": ""})
    rows.append(
        {
            "measure": "gain of the zoo sentiment model over TF-IDF (points)",
            "value": 100 * (neural - tfidf),
            "target": ">= 2",
            "ok": bool(neural - tfidf >= 0.02),
        }
    )

    suggester = emoji_suggest.EmojiSuggester.from_zoo()
    mood_table = emoji_data.emoji_moods()

    def target_rows(label: str, found: dict) -> None:
        """The issue's three targets for one evaluation, then its wrong-way counts and per-mood numbers."""
        for measure, value, target, ok in (
            ("acceptable emoji in the top 3", found["top3"], ">= 0.85", found["top3"] >= 0.85),
            (
                f"😂 first on a sad or angry message (of {found['negative']})",
                found["joy_first_negative"],
                "0",
                found["joy_first_negative"] == 0,
            ),
            (
                f"top emoji's polarity agrees with the mood ({found['clear']} messages)",
                found["agreement"],
                ">= 0.90",
                found["agreement"] >= 0.9,
            ),
        ):
            rows.append({"measure": f"{label}: {measure}", "value": value, "target": target, "ok": bool(ok)})
        for measure, value in (
            (
                f"a positive emoji first on a sad or angry message (of {found['negative']})",
                found["positive_first_negative"],
            ),
            (
                f"a negative emoji first on a love, happy or funny message (of {found['clear'] - found['negative']})",
                found["negative_first_positive"],
            ),
        ):
            rows.append({"measure": f"{label}: {measure}", "value": value, "target": "", "ok": ""})
        for mood, value in found["per_mood"].items():
            rows.append({"measure": f"{label}: top-3, {mood}", "value": value, "target": "", "ok": ""})

    # notebook 05's recipe: the mood set alone, its weights and mood reader cross-fitted on its own 107 messages
    moods = emoji_suggest.evaluate_moods(suggester, moods=mood_table)
    target_rows(f"mood set ({moods['messages']} messages, cross-fitted on it alone)", moods)
    # every labelled set the zoo learns from (emoji_data.TRAINING_SETS), cross-fitted: each fifth of the messages
    # scored with a mood reader and weights learned on the other four fifths
    training = emoji_data.training_messages(mood_table)
    # the default's words mood reader learns from every read set (the 467 and the later sets): each set is scored by
    # a suggester learned on all the others (words_leave_one_set_out), the 467 as one set
    words_default = suggester.words_moods is not None
    if words_default:
        with quiet_native_stderr():
            base = emoji_suggest.EmojiSuggester.from_zoo(words=False)
        left_out = emoji_suggest.words_leave_one_set_out(base, emoji_suggest.read_sets(mood_table), mood_table)
        crossfit = left_out["467"]
        target_rows(
            f"labelled sets ({crossfit['messages']} messages of TRAINING_SETS, scored by the suggester learned on the "
            "later sets without them)",
            crossfit,
        )
    else:
        crossfit = emoji_suggest.evaluate_moods(suggester, training, mood_table)
        target_rows(f"labelled sets ({crossfit['messages']} messages the zoo learns from, cross-fitted)", crossfit)
    for name, _ in emoji_data.TRAINING_SETS:
        part = [i for i, row in enumerate(training) if row["set"] == name]
        found = emoji_suggest.mood_summary(
            suggester.table,
            [training[i] for i in part],
            [crossfit["suggestions"][i] for i in part],
            [crossfit["hits"][i] for i in part],
            mood_table,
        )
        rows.append(
            {
                "measure": f"labelled sets, cross-fitted: the {name} set ({found['messages']}): top-3 / agreement",
                "value": f"{found['top3']:.3f} / {found['agreement']:.3f}",
                "target": "",
                "ok": "",
                "😂 first on sad/angry": found["joy_first_negative"],
            }
        )
    # the later sets, each written after the one before had been scored and first scored once, to judge one change
    # (kept: learning from every read set, a named face first, 😂 held back; not kept: a feeling student, a distilled
    # mood student, the transformer student as the default, a mood reader reading words; adopted to build: that
    # reader learned with the topic emoji in its objective); never learned from
    judged = {
        "eighth": "learning from every read set",
        "ninth": "a feeling student",
        "tenth": "a distilled mood student",
        "eleventh": "the transformer mood student",
        "twelfth": "that student as the default",
        "thirteenth": "a face the message names keeping first place",
        "fourteenth": "😂 held back from messages of unclear feeling",
        "fifteenth": "a mood reader that reads words too",
        "sixteenth": "that reader with the topic weights held",
        "seventeenth": "that reader learned with the topic emoji in its objective",
    }
    later_sets = emoji_data.later_messages(mood_table)  # emoji_data.LATER_SETS, in the order they were written
    for name, later in later_sets.items():
        if words_default:  # the zoo learned from it: the suggester learned on every other read set scores it
            found = left_out[name]
            seen = "scored by the suggester learned on every other read set"
        else:
            found = emoji_suggest.evaluate_moods(suggester, later, mood_table, fit=False)
            seen = "the zoo never learned from"
        target_rows(
            f"{name} set ({found['messages']} messages, {seen}; first scored once, to judge "
            f"{judged.get(name, 'one change')}; read since)",
            found,
        )
    eighth_messages = later_sets["eighth"]
    # the opt-in reader: the same messages, moods read by all-mpnet-base-v2 (zoo/05_emoji/reader_moods)
    with quiet_native_stderr():
        reading = emoji_suggest.EmojiSuggester.from_zoo(reader=True)
    found = emoji_suggest.evaluate_moods(reading, training, mood_table)
    target_rows(f"opt-in reader, not the default: labelled sets ({found['messages']}, cross-fitted)", found)
    for name, later in later_sets.items():
        found = emoji_suggest.evaluate_moods(reading, later, mood_table, fit=False)
        target_rows(f"opt-in reader, not the default: {name} set ({found['messages']}, never learned from)", found)
    # the opt-in student of that reader (EmojiSuggester.from_zoo(student=True), helpers.mood_student): the later sets
    # only, since it learned from the 467 (through its teacher and their own labels)
    with quiet_native_stderr():
        studying = emoji_suggest.EmojiSuggester.from_zoo(student=True)
    for name, later in later_sets.items():
        found = emoji_suggest.evaluate_moods(studying, later, mood_table, fit=False)
        target_rows(f"opt-in student, not the default: {name} set ({found['messages']}, never learned from)", found)
    recipe = emoji_suggest.learn_everyday(suggester, emoji_data.labelled_messages(moods=mood_table), mood_table)
    for name, other in (
        ("learned from the mood set alone", recipe),
        ("without the sense part", suggester.with_sense(None)),
    ):
        found = emoji_suggest.evaluate_moods(other, eighth_messages, mood_table, fit=False)
        rows.append(
            {
                "measure": f"eighth set top-3, {name}",
                "value": found["top3"],
                "target": "",
                "ok": "",
                "agreement": round(found["agreement"], 3),
                "😂 first on sad/angry": found["joy_first_negative"],
            }
        )
    fitted = emoji_suggest.evaluate_moods(suggester, fit=False)
    rows.append(
        {
            "measure": "mood set top-3 with the zoo weights (learned on it and six more sets: optimistic)",
            "value": fitted["top3"],
            "target": "",
            "ok": "",
        }
    )
    for name, variant_suggester in (
        ("habit weight 1 (the prior decides)", suggester.with_weights(habit=1.0)),
        ("no topic (named or near)", suggester.with_weights(topic=0.0, keyword=0.0)),
        ("no mood (classifier, lexicon or reactions)", suggester.with_weights(mood=0.0, valence=0.0, reaction=0.0)),
        ("no VADER valence", suggester.with_weights(valence=0.0)),
        ("no reactions model", suggester.with_reactions(None)),
        ("no sense part (MiniLM distilled)", suggester.with_sense(None)),
        ("score order (no feeling first)", suggester.in_score_order()),
    ):
        variant = emoji_suggest.evaluate_moods(variant_suggester, fit=False)
        rows.append(
            {
                "measure": f"mood set top-3 with the zoo weights, {name}",
                "value": variant["top3"],
                "target": "",
                "ok": "",
                "agreement": round(variant["agreement"], 3),
                "😂 first on sad/angry": variant["joy_first_negative"],
            }
        )

    messages = emoji_data.chitchat_emoticon_messages()
    report = emoji_suggest.evaluate_emoticons(suggester, messages)
    table = report["rows"]
    low, high = report["top3_gain_ci"]
    rows.append(
        {
            "measure": f"emoticon top-3, suggester ({report['messages']:,} messages)",
            "value": table["suggester"]["top3"],
            "target": f"> {table['majority']['top3']:.4f}",
            "ok": bool(table["suggester"]["top3"] > table["majority"]["top3"]),
        }
    )
    for name in ("majority", "mood only", "topic only", "everyday weights", "ranking prior"):
        rows.append({"measure": f"emoticon top-3, {name}", "value": table[name]["top3"], "target": "", "ok": ""})
    rows.append(
        {
            "measure": "emoticon top-1, suggester / majority",
            "value": f"{table['suggester']['top1']:.4f} / {table['majority']['top1']:.4f}",
            "target": "",
            "ok": "",
        }
    )
    rows.append(
        {
            "measure": "suggester - majority top-3, 95% bootstrap interval",
            "value": f"[{low:+.4f}, {high:+.4f}]",
            "target": "low > 0",
            "ok": bool(low > 0),
        }
    )

    # the first complaint was one emoji first for nearly everything: which emoji leads most often on chat?
    firsts = Counter(row[0][0] for row in suggester.suggest_batch([m["text"] for m in messages], k=1))
    rows.append(
        {
            "measure": f"commonest first suggestion on the {len(messages):,} chit-chat messages (ranking prior), its share; "
            "the next four",
            "value": ", ".join(f"{e} {n / len(messages):.1%}" for e, n in firsts.most_common(5)),
            "target": "",
            "ok": "",
        }
    )

    texts = [m["text"] for m in messages[:MESSAGES]]
    suggester.suggest(texts[0])  # trace the model before timing
    times = []
    for text in texts:
        start = time.perf_counter()
        suggester.suggest(text, k=5)
        times.append(time.perf_counter() - start)
    p50, p95 = np.percentile(np.asarray(times) * 1000, [50, 95])
    rows.append(
        {
            "measure": f"suggest() latency p50 (ms, {len(texts)} chat messages)",
            "value": float(p50),
            "target": "<= 10",
            "ok": bool(p50 <= 10),
        }
    )
    rows.append({"measure": "suggest() latency p95 (ms)", "value": float(p95), "target": "", "ok": ""})
    batch = [m["text"] for m in messages[:256]]
    best = bench.timeit(lambda: suggester.suggest_batch(batch, k=5), repeat=5)["best_s"]
    rows.append(
        {
            "measure": "messages/second, batches of 256",
            "value": len(batch) / best,
            "target": ">= 1,500",
            "ok": bool(len(batch) / best >= 1500),
        }
    )
    # the opt-in modes' speed, measured the same way (neither is the default: these rows are not the targets')
    for label, opt_in in (("opt-in reader", reading), ("opt-in student", studying)):
        opt_in.suggest_batch(batch, k=5)  # its models converted and planned before timing
        times = []
        for text in texts:
            start = time.perf_counter()
            opt_in.suggest(text, k=5)
            times.append(time.perf_counter() - start)
        rows.append(
            {
                "measure": f"{label}: suggest() latency p50 / p95 (ms, {len(texts)} chat messages)",
                "value": " / ".join(f"{v:.1f}" for v in np.percentile(np.asarray(times) * 1000, [50, 95])),
                "target": "",
                "ok": "",
            }
        )
        best = bench.timeit(lambda: opt_in.suggest_batch(batch, k=5), repeat=3)["best_s"]  # noqa: B023 (run here)
        rows.append(
            {"measure": f"{label}: messages/second, batches of 256", "value": len(batch) / best, "target": "", "ok": ""}
        )
    bench.report(
        "emoji",
        rows,
        notes="Neural F1 is the zoo model's (python -m helpers.sentiment train); the labelled sets' "
        "weights and mood reader are cross-fitted over 5 folds of messages, the emoticon prior over 5 conversation folds.",
    )


if __name__ == "__main__":
    main()
