"""Seq2seq chatbot targets: held-out perplexity, reply latency, batched throughput, and the per-request reload recipe.

Targets (issue "Notebook 04"), on 2 CPU cores:
- test-split perplexity of the attention model below both the unigram (frequency) baseline and the model without attention;
- reply latency for prompts of up to 20 words: greedy p50 <= 20 ms, beam-4 p50 <= 80 ms;
- reported: replies/second when 32 prompts are batched, and the latency of the original book's serving recipe
  (rebuild and reload the model for every request) next to ours.
"""

import statistics
import time

import numpy as np

from helpers import bench, seq2seq
from helpers.chatbot import ChatBot
from helpers.setup import seed_everything

PROMPTS = 200      # test prompts timed one at a time
RELOADS = 5        # requests timed with the reload-per-request recipe


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
    bots = {name: ChatBot.from_zoo(f"04_seq2seq/{name}") for name in ("you", "you_plain")}
    config = {"max_prompt": bots["you"].max_prompt, "max_reply": bots["you"].max_reply}
    splits = seq2seq.split_pairs(seq2seq.tokenize_pairs(seq2seq.load_pairs("you_pairs", "workshop")))
    vocabulary = bots["you"].vocabulary
    encoded = {s: seq2seq.encode_pairs(splits[s], vocabulary, **config) for s in ("train", "test")}
    test = encoded["test"]
    ppl = {name: seq2seq.perplexity(bot.model, test) for name, bot in bots.items()}
    unigram = seq2seq.unigram_perplexity(encoded["train"], test, len(vocabulary))
    tokens = int((test.reply_out != 0).sum())
    rows.append({"measure": f"test perplexity, attention ({len(test)} pairs, {tokens:,} tokens)", "value": ppl["you"],
                 "target": f"< {min(unigram, ppl['you_plain']):.1f}", "ok": ppl["you"] < min(unigram, ppl["you_plain"])})
    rows.append({"measure": "test perplexity, no attention", "value": ppl["you_plain"], "target": "", "ok": ""})
    rows.append({"measure": "test perplexity, unigram baseline", "value": unigram, "target": "", "ok": ""})

    short = [" ".join(p["prompt_tokens"]) for p in splits["test"] if len(p["prompt_tokens"]) <= 20][:PROMPTS]
    bot = bots["you"]
    bot.replies(short[:4])
    bot.reply(short[0], method="beam", beam_width=4)  # trace both decoders before timing
    greedy = latencies(lambda m: bot.reply(m), short)
    beam = latencies(lambda m: bot.reply(m, method="beam", beam_width=4), short)
    rows.append({"measure": f"greedy reply p50 (ms, {len(short)} prompts <= 20 words)", "value": percentile(greedy, 50),
                 "target": "<= 20", "ok": percentile(greedy, 50) <= 20})
    rows.append({"measure": "greedy reply p95 (ms)", "value": percentile(greedy, 95), "target": "", "ok": ""})
    rows.append({"measure": "beam-4 reply p50 (ms)", "value": percentile(beam, 50), "target": "<= 80",
                 "ok": percentile(beam, 50) <= 80})
    rows.append({"measure": "beam-4 reply p95 (ms)", "value": percentile(beam, 95), "target": "", "ok": ""})
    batches = [short[i:i + 32] for i in range(0, len(short) - 31, 32)]
    bot.replies(batches[0])
    start = time.perf_counter()
    for batch in batches:
        bot.replies(batch)
    per_second = sum(len(b) for b in batches) / (time.perf_counter() - start)
    rows.append({"measure": "greedy replies/second, batches of 32", "value": per_second, "target": "", "ok": ""})

    def reload_and_reply(message):  # the original recipe: build and load the model inside the request handler
        return ChatBot.from_zoo("04_seq2seq/you").reply(message)

    reload = latencies(reload_and_reply, short[:RELOADS])
    rows.append({"measure": f"reload-per-request recipe, median (ms, {RELOADS} requests)",
                 "value": statistics.median(reload) * 1000, "target": "", "ok": ""})
    rows.append({"measure": "reload recipe / greedy p50 (latency ratio)",
                 "value": statistics.median(reload) * 1000 / percentile(greedy, 50), "target": "", "ok": ""})
    bench.report("chatbot", rows, notes="Zoo models zoo/04_seq2seq/you (attention) and you_plain; test split of "
                 "the default 'you' pairs, split by conversation. Latency includes tokenization and decoding.")


if __name__ == "__main__":
    main()
