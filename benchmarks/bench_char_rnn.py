"""Char-RNN targets: zoo Shakespeare validation loss, generation speed (classic vs stateful), training speed (XLA or not).

Targets (issue "Notebook 03"): validation loss <= 1.50 nats/char trained in <= 45 minutes on 2 CPU cores;
single-stream stateful generation >= 300x the window re-feed recipe and >= 2,000 characters/second.
"""

from helpers import bench, char_rnn, zoo

CLASSIC_CHARS = 40
FAST_CHARS = 3000


def main() -> None:
    rows = []
    model = zoo.load("03_char_rnn/shakespeare")
    card = zoo.card("03_char_rnn/shakespeare")
    vocabulary = card["vocabulary"]
    text = char_rnn.shakespeare_text()
    to_ids, _ = char_rnn.make_lookups(text)
    _, val = char_rnn.split_text(text)
    val_loss = model.evaluate(char_rnn.windows(char_rnn.encode(val, to_ids), 100, 128, shuffle=False), verbose=0)
    rows.append(
        {
            "measure": "zoo Shakespeare validation loss (nats/char)",
            "value": val_loss,
            "target": "<= 1.50",
            "ok": val_loss <= 1.50,
        }
    )
    rows.append(
        {
            "measure": "its training time (minutes, 2 CPU cores)",
            "value": card["training_seconds"] / 60,
            "target": "<= 45",
            "ok": card["training_seconds"] <= 45 * 60,
        }
    )

    prime = "ROMEO.\n" * 15  # a 105-character history: the classic recipe re-feeds a 100-character window
    timing = bench.timeit(
        lambda: char_rnn.generate_classic(model, vocabulary, prime, length=CLASSIC_CHARS), repeat=2, warmup=1
    )
    classic = CLASSIC_CHARS / timing["best_s"]
    generator = char_rnn.FastGenerator(model, vocabulary)
    timing = bench.timeit(lambda: generator.generate(prime, length=FAST_CHARS, seed=1), repeat=3, warmup=1)
    fast = FAST_CHARS / timing["best_s"]
    rows.append({"measure": "classic generation, 1 stream (chars/s)", "value": classic, "target": "", "ok": ""})
    rows.append(
        {
            "measure": "stateful tf.function generation, 1 stream (chars/s)",
            "value": fast,
            "target": ">= 2,000",
            "ok": fast >= 2000,
        }
    )
    rows.append(
        {"measure": "speed-up, 1 stream", "value": fast / classic, "target": ">= 300", "ok": fast / classic >= 300}
    )
    for batch in (8, 32, 128):
        n = 1000
        timing = bench.timeit(lambda: generator.generate(prime, length=n, batch=batch, seed=1), repeat=2, warmup=1)
        rows.append(
            {
                "measure": f"stateful generation, {batch} streams (chars/s, all streams)",
                "value": batch * n / timing["best_s"],
                "target": "",
                "ok": "",
            }
        )

    to_ids_train = char_rnn.encode(text[:2_000_000], to_ids)
    data = char_rnn.windows(to_ids_train, 100, 128)
    for jit in (False, True):
        speed = char_rnn.training_speed(len(vocabulary), data, 256, 2, jit_compile=jit, steps=20, repeats=2)
        rows.append(
            {
                "measure": f"training 2x256, jit_compile={jit} (chars/s, best of 2)",
                "value": speed,
                "target": "",
                "ok": "",
            }
        )
    bench.report("char_rnn", rows)


if __name__ == "__main__":
    main()
