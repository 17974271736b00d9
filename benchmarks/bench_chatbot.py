"""Chatbot targets: does the reply fit the message, in your words, fast enough?

Targets (issue "Notebook 04 and the bot"), on the default "you" test split (571 pairs, split by conversation),
2 CPU cores:
- ``bot.score`` 1-of-100 accuracy >= 0.25 (TF-IDF about 0.11-0.17 depending on ties; moonshot >= 0.33);
- default replies to the test messages: distinct-2 >= 0.40, the five commonest replies <= 10% of all, style share
  (notebook 04's classifier) at least that of the real "you" replies;
- fine-tuned generator: test perplexity below the ``you_scratch`` and ``everyone`` zoo models;
- default reply latency p50 <= 60 ms (one message at a time).
Reported beside them: 1-of-100 and recall@10 of chance, TF-IDF, the retrieval baseline, the generator's
log-likelihood and its MMI correction, the dual encoder alone, MiniLM's plain cosine and the sentence channel alone;
greedy and beam-4 latency; how often a question gets only questions back, from the bot and from the person.
"""

import time

import numpy as np

from helpers import bench, chats, corpora, dialog_eval, seq2seq, text, zoo
from helpers.chatbot import ChatBot
from helpers.sentence_encoder import SentenceChannel, build_sentence_head
from helpers.setup import seed_everything

LATENCY_PROMPTS = 200


def percentile(values, q):
    return float(np.percentile(np.asarray(values) * 1000, q))


def latencies(function, messages):
    times = []
    for message in messages:
        start = time.perf_counter()
        function(message)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    seed_everything(0)
    rows = []

    def row(measure, value, target="", ok=""):
        rows.append({"measure": measure, "value": value, "target": target, "ok": ok})

    info = corpora.ensure_chitchat_corpus("full")
    bot = ChatBot.from_zoo()
    data = seq2seq.prepare("full")
    splits, config = data["splits"], data["config"]
    test = splits["test"]
    messages = [" ".join(p["prompt_tokens"]) for p in test]
    replies = [dialog_eval.truncate(" ".join(p["reply_tokens"]), config.max_reply) for p in test]
    raw_messages = [p["prompt"] for p in test]

    # perplexity
    encoded = data["encoded"]
    ppl = {
        name: seq2seq.perplexity(zoo.load(f"04_seq2seq/{name}"), encoded["test"])
        for name in ("you", "you_scratch", "everyone")
    }
    best_other = min(ppl["you_scratch"], ppl["everyone"])
    row(
        f"test perplexity, you (everyone fine-tuned on you; {len(test)} pairs)",
        ppl["you"],
        f"< {best_other:.1f}",
        ppl["you"] < best_other,
    )
    row("test perplexity, you_scratch (you pairs only)", ppl["you_scratch"])
    row("test perplexity, everyone (pretrained base)", ppl["everyone"])

    # 1-of-100
    train_texts = [" ".join(p["prompt_tokens"]) for p in splits["train"]] + [
        " ".join(p["reply_tokens"]) for p in splits["train"]
    ]
    retrieval = dialog_eval.RetrievalBot(
        [" ".join(p["prompt_tokens"]) for p in splits["train"]],
        [dialog_eval.truncate(" ".join(p["reply_tokens"]), config.max_reply) for p in splits["train"]],
    )
    generator = zoo.load("04_seq2seq/you")
    lengths = (config.max_prompt, config.max_reply)
    scorers = {
        "chance (random scores)": (lambda m, r: np.random.default_rng(0).random((len(m), len(r))), False),
        "TF-IDF cosine": (dialog_eval.tfidf_scorer(train_texts), False),
        "retrieval baseline": (dialog_eval.retrieval_scorer(retrieval), False),
        "generator log p(reply|message)": (seq2seq.generator_scorer(generator, bot.vocabulary, *lengths), True),
        "generator MMI (minus log p(reply))": (
            seq2seq.generator_scorer(generator, bot.vocabulary, *lengths, mmi=1.0),
            True,
        ),
        "dual encoder alone": (
            lambda m, r: bot.selector.score(m, r, tokenized=True, lexical=False, sentence=False),
            False,
        ),
    }
    if bot.selector.sentence is not None:
        plain = SentenceChannel(build_sentence_head(), bot.selector.sentence.encoder)  # an untrained head: MiniLM
        scorers["MiniLM cosine (pretrained, frozen)"] = (lambda m, r: plain.score(m, r), False)
        scorers["sentence channel alone (MiniLM + head)"] = (
            lambda m, r: bot.selector.sentence_score(m, r, tokenized=True),
            False,
        )
    for name, (score, per_message) in scorers.items():
        result = dialog_eval.response_selection(score, messages, replies, per_message=per_message)
        row(f"1-of-100, {name}", result["1-of-100"])
        row(f"recall@10, {name}", result["recall@10"])
    result = dialog_eval.response_selection(bot.score, raw_messages, [p["reply"] for p in test])
    row("1-of-100, bot.score (raw strings)", result["1-of-100"], ">= 0.25 (moonshot 0.33)", result["1-of-100"] >= 0.25)
    row("recall@10, bot.score", result["recall@10"])
    whole = dialog_eval.response_selection(bot.ranking_score, raw_messages, [p["reply"] for p in test])
    row(
        "1-of-100, bot.ranking_score (relevance + style + opening - penalties: what the default reply is chosen by)",
        whole["1-of-100"],
    )

    # default replies
    start = time.perf_counter()
    default = [dialog_eval.truncate(text.clean_for_training(r), config.max_reply) for r in bot.replies(raw_messages)]
    seconds = time.perf_counter() - start
    distinct2 = dialog_eval.distinct_n(default, 2)
    share5 = dialog_eval.commonest_share(default, 5)
    style = dialog_eval.style_data(
        chats.read_jsonl(corpora.corpus_files()["all_pairs"]), info["me"], seq2seq.split_of, config.max_reply
    )
    classifier = dialog_eval.StyleClassifier().fit(*style["train"])
    real_share, bot_share = classifier.share_you(replies), classifier.share_you(default)
    row(f"default replies, distinct-2 ({len(default)} test messages)", distinct2, ">= 0.40", distinct2 >= 0.40)
    row("default replies, distinct-2 of the real replies", dialog_eval.distinct_n(replies, 2))
    row("default replies, five commonest replies' share", share5, "<= 0.10", share5 <= 0.10)
    row(
        "default replies, style share (real 'you' replies below)",
        bot_share,
        f">= {real_share:.3f}",
        bot_share >= real_share,
    )
    row("style share of the real 'you' test replies", real_share)
    kinds = [ranked[0].kind for ranked in bot.ranked(raw_messages)]
    row("default replies that are generated (not retrieved)", kinds.count("generated") / len(kinds))
    row("default replies per second, one batch of all test messages", len(default) / seconds)
    bot_questions, asked = dialog_eval.questions_answered_with_questions(messages, default)
    real_questions, _ = dialog_eval.questions_answered_with_questions(messages, replies)
    row(f"default replies that are only questions, of {asked} test messages ending with a question", bot_questions)
    row("real replies that are only questions, the same messages", real_questions)

    # latency
    short = [p["prompt"] for p in test if len(p["prompt_tokens"]) <= 20][:LATENCY_PROMPTS]
    bot.replies(short[:4])
    bot.reply(short[0], method="greedy")
    bot.reply(short[0], method="beam", beam_width=4)
    for method, target in (("rank", 60), ("greedy", None), ("beam", None)):
        times = latencies(lambda m: bot.reply(m, method=method), short)
        row(
            f"{method} reply p50 (ms, {len(short)} prompts <= 20 words)",
            percentile(times, 50),
            f"<= {target}" if target else "",
            percentile(times, 50) <= target if target else "",
        )
        row(f"{method} reply p95 (ms)", percentile(times, 95))
    bench.report(
        "chatbot",
        rows,
        notes="ChatBot.from_zoo(): zoo/04_seq2seq/you (everyone fine-tuned on you) + "
        "selector + lexical + style + your training replies. Test split of the default 'you' pairs, split "
        "by conversation; 1-of-100 with a seeded draw of 99 other test replies, ties broken at random.",
    )


if __name__ == "__main__":
    main()
