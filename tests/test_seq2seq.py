"""Seq2seq chatbot: data preparation, model masking, decoders, the reply class and the evaluation helpers."""

import numpy as np
import pytest

from helpers import dialog_eval, litert, seq2seq
from helpers.chatbot import MAX_CHARS, ChatBot, EmptyMessage

WORDS = [
    "hi",
    "hello",
    "how",
    "are",
    "you",
    "?",
    "i",
    "am",
    "fine",
    "good",
    ".",
    "!",
    "what",
    "doing",
    "tonight",
    "nothing",
    "much",
    "cool",
    "ok",
    "bye",
]
VOCAB = list(seq2seq.SPECIALS) + WORDS


@pytest.fixture(scope="module")
def keras_seeded():
    from helpers.setup import seed_everything

    seed_everything(0)


def _toy_pairs():
    raw = [
        ("hi", "hello !"),
        ("how are you ?", "i am fine ."),
        ("what are you doing tonight ?", "nothing much ."),
        ("hello", "hi !"),
        ("how are you", "good . you ?"),
        ("bye", "bye !"),
        ("cool", "ok ."),
    ]
    return [
        {"prompt_tokens": p.split(), "reply_tokens": r.split(), "conversation": f"c{i}"} for i, (p, r) in enumerate(raw)
    ]


@pytest.fixture(scope="module")
def toy_model(keras_seeded):
    """A small attention model fitted to the toy pairs until it has learnt them."""
    data = seq2seq.encode_pairs(_toy_pairs() * 8, VOCAB, max_prompt=8, max_reply=6)
    model = seq2seq.build_model(len(VOCAB), embedding_dim=8, units=32, attention=True, dropout=0.0, learning_rate=1e-2)
    model.fit(data.dataset(16, seed=1), epochs=60, verbose=0)
    return model


@pytest.fixture(scope="module")
def bot(toy_model):
    return ChatBot(toy_model, VOCAB, max_prompt=8, max_reply=6, name="toy")


# --------------------------------------------------------------------------- data
def test_split_is_stable_and_keeps_conversations_together():
    pairs = [{"conversation": f"conversation-{i // 3}", "n": i} for i in range(3000)]
    splits = seq2seq.split_pairs(pairs)
    assert sum(len(v) for v in splits.values()) == 3000
    seen = {}
    for name, members in splits.items():
        for pair in members:
            assert seen.setdefault(pair["conversation"], name) == name, "a conversation landed in two splits"
    # 1,000 conversations: each split holds roughly its share
    assert 0.74 < len(splits["train"]) / 3000 < 0.86
    assert 0.06 < len(splits["test"]) / 3000 < 0.14
    assert seq2seq.split_of("conversation-7") == seq2seq.split_of("conversation-7")


def test_few_long_conversations_are_split_by_blocks():
    pairs = [
        {"conversation": f"thread-{i % 2}", "n": i} for i in range(2000)
    ]  # two long threads, as in a personal export
    splits = seq2seq.split_pairs(pairs)
    assert all(len(members) > 50 for members in splits.values()), {k: len(v) for k, v in splits.items()}
    # consecutive pairs of a thread stay together: 50 per block and thread
    blocks = {}
    for name, members in splits.items():
        for pair in members:
            key = (pair["n"] % 2, (pair["n"] // 2) // 50)
            assert blocks.setdefault(key, name) == name


def test_tokenize_pairs_reads_a_prompt_of_emoji_alone_as_the_bot_does():
    pairs = seq2seq.tokenize_pairs(
        [
            {"prompt": "😂😂", "reply": "glad you liked it 😂"},  # the reply keeps its emoji: it is what you wrote
            {"prompt": "so funny 😂", "reply": "ikr"},
            {"prompt": "...", "reply": "?"},
        ]
    )
    assert pairs[0]["prompt_tokens"] == ["hahaha", "that's", "so", "funny"] * 2  # what its sender means, twice
    assert pairs[0]["reply_tokens"][-1] == "😂"
    assert pairs[1]["prompt_tokens"] == ["so", "funny", "😂"] and pairs[2]["prompt_tokens"] == ["..."]


def test_vocabulary_order_and_encoding():
    vocab = seq2seq.build_vocabulary([["b", "a", "a", "c"], ["b", "a", "z"]], max_words=3, min_count=1)
    assert vocab[:4] == list(seq2seq.SPECIALS)
    assert vocab[4:] == ["a", "b", "c"]  # by count, ties alphabetical, cut to max_words
    assert seq2seq.build_vocabulary([["x", "y", "y"]], min_count=2)[4:] == ["y"]
    index = {w: i for i, w in enumerate(vocab)}
    assert seq2seq.encode_tokens(["a", "q", "b"], index, 5) == [4, seq2seq.UNK_ID, 5, 0, 0]
    assert seq2seq.encode_tokens(["a", "b", "c"], index, 2, keep="last") == [5, 6]
    assert seq2seq.encode_tokens(["a", "b", "c"], index, 2, keep="first") == [4, 5]


def test_encode_pairs_marks_the_end_only_of_replies_that_fit():
    pairs = [
        {"prompt_tokens": ["hi"], "reply_tokens": ["i", "am", "fine"]},
        {"prompt_tokens": ["hi"], "reply_tokens": ["i", "am", "fine", "and", "you"]},
    ]
    enc = seq2seq.encode_pairs(pairs, VOCAB, max_prompt=4, max_reply=3)
    i, am, fine = (VOCAB.index(w) for w in ("i", "am", "fine"))
    S, E = seq2seq.START_ID, seq2seq.END_ID
    assert enc.reply_in[0].tolist() == [S, i, am, fine] and enc.reply_out[0].tolist() == [i, am, fine, E]
    # cut reply: no [END] to learn, and the position after the last kept word is masked out
    assert enc.reply_in[1].tolist() == [S, i, am, 0] and enc.reply_out[1].tolist() == [i, am, fine, 0]
    assert enc.prompt.shape == (2, 4) and len(enc) == 2


def test_detokenize_and_ids_to_tokens():
    assert seq2seq.detokenize(["i", "am", "fine", ".", "you", "?"]) == "i am fine. you?"
    assert seq2seq.detokenize(["[START]", "ok", "[END]"]) == "ok"
    assert seq2seq.detokenize([":)", "hi"]) == ":) hi"
    ids = [VOCAB.index("ok"), 0, VOCAB.index("bye"), seq2seq.END_ID, VOCAB.index("hi")]
    assert seq2seq.ids_to_tokens(ids, VOCAB) == ["ok", "bye"]
    assert seq2seq.oov_rate([["hi", "zzz"], ["ok", "qqq"]], VOCAB) == 0.5


def test_unigram_perplexity_by_hand():
    # training replies: "hi" twice and [END] twice; add-one smoothing over 6 tokens minus pad and start
    train = seq2seq.Encoded(
        np.zeros((2, 1), "int32"),
        np.zeros((2, 2), "int32"),
        np.array([[4, seq2seq.END_ID], [4, seq2seq.END_ID]], "int32"),
    )
    test = seq2seq.Encoded(np.zeros((1, 1), "int32"), np.zeros((1, 2), "int32"), np.array([[4, 5]], "int32"))
    vocab_size = 6
    p_hi, p_other = 3 / (4 + vocab_size - 2), 1 / (4 + vocab_size - 2)
    expected = np.exp(-(np.log(p_hi) + np.log(p_other)) / 2)
    assert seq2seq.unigram_perplexity(train, test, vocab_size) == pytest.approx(expected)
    assert seq2seq.unigram_perplexity(train, test, 100) > seq2seq.unigram_perplexity(train, test, vocab_size)


# --------------------------------------------------------------------------- the model
@pytest.mark.parametrize("attention", [True, False])
def test_padding_is_masked_and_nll_matches_keras(keras_seeded, attention):
    data = seq2seq.encode_pairs(_toy_pairs(), VOCAB, max_prompt=8, max_reply=6)
    model = seq2seq.build_model(len(VOCAB), embedding_dim=8, units=16, attention=attention, dropout=0.0)
    names = {layer.name for layer in model.layers}
    assert ("attention" in names) is attention
    longer = np.concatenate([data.prompt, np.zeros((len(data), 7), "int32")], axis=1)
    a = model({"prompt": data.prompt, "reply_in": data.reply_in}, training=False)
    b = model({"prompt": longer, "reply_in": data.reply_in}, training=False)
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)
    nll, count = seq2seq.token_nll(model, data)
    assert count == int((data.reply_out != 0).sum())
    keras_loss = model.evaluate(data.dataset(64, shuffle=False), verbose=0)
    assert nll / count == pytest.approx(keras_loss, rel=1e-4)
    assert seq2seq.perplexity(model, data) == pytest.approx(np.exp(nll / count), rel=1e-6)


def test_embedding_matrix_is_used_and_shape_checked(keras_seeded):
    matrix = np.random.default_rng(0).normal(size=(len(VOCAB), 8)).astype("float32")
    model = seq2seq.build_model(len(VOCAB), embedding_dim=8, units=8, embedding_matrix=matrix)
    np.testing.assert_allclose(model.get_layer("embedding").get_weights()[0], matrix)
    with pytest.raises(ValueError, match="expected"):
        seq2seq.build_model(len(VOCAB), embedding_dim=4, units=8, embedding_matrix=matrix)


# --------------------------------------------------------------------------- decoding
def test_trained_toy_model_answers_its_training_prompts(bot):
    assert bot.reply("how are you?") == "i am fine."
    assert bot.reply("what are you doing tonight?") == "nothing much."


def test_greedy_equals_beam_of_width_one(bot):
    for message in ["hi", "how are you?", "cool", "bye bye", "tonight ?"]:
        assert bot.reply(message, method="beam", beam_width=1) == bot.reply(message)


def test_greedy_matches_teacher_forced_argmax(toy_model, bot):
    prompt = bot.encode(["what are you doing tonight?"])
    ids, _ = seq2seq.Decoder(toy_model).greedy(prompt, 6)  # raw choices: no n-gram ban
    reply = seq2seq.ids_to_tokens(ids[0], VOCAB)
    feed = np.array([[seq2seq.START_ID] + [VOCAB.index(t) for t in reply]], "int32")
    logits = np.array(toy_model({"prompt": prompt, "reply_in": feed}, training=False))[0]
    logits[:, [seq2seq.PAD_ID, seq2seq.UNK_ID, seq2seq.START_ID]] = -1e9
    logits[0, seq2seq.END_ID] = -1e9
    assert [VOCAB[i] for i in logits.argmax(-1)] == reply + [seq2seq.END]


def test_beam_hypotheses_are_sorted_and_the_best_is_at_least_as_likely_as_greedy(bot):
    candidates = bot.beam_candidates("how are you?", beam_width=4)
    scores = [score for _, score in candidates]
    assert len(candidates) == 4 and scores == sorted(scores, reverse=True)
    assert candidates[0][0] == bot.reply("how are you?", method="beam", beam_width=4)


def test_sampling_is_seeded(bot):
    messages = ["hi", "how are you?", "cool"] * 3
    first = bot.replies(messages, method="sample", temperature=1.5, top_k=0, seed=7)
    assert first == bot.replies(messages, method="sample", temperature=1.5, top_k=0, seed=7)
    others = [bot.replies(messages, method="sample", temperature=1.5, top_k=0, seed=s) for s in range(1, 6)]
    assert any(o != first for o in others), "five other seeds all gave the same nine samples"
    # top_k=1 is greedy
    assert bot.replies(messages, method="sample", top_k=1, seed=3) == bot.replies(messages)
    # a message's sample does not depend on the other messages of its batch (the server batches requests)
    alone = [bot.reply(m, method="sample", temperature=1.5, top_k=0, seed=7) for m in messages[:3]]
    assert first[:3] == alone
    assert bot.replies(messages[:3][::-1], method="sample", temperature=1.5, top_k=0, seed=7) == alone[::-1]


@pytest.mark.parametrize("no_repeat_ngram", [0, 2, 3])
@pytest.mark.parametrize("attention", [True, False])
def test_candidates_through_litert_are_the_graph_candidates(toy_model, keras_seeded, attention, no_repeat_ngram):
    model = toy_model if attention else seq2seq.build_model(len(VOCAB), embedding_dim=8, units=16, attention=False)
    graph = seq2seq.Decoder(model, no_repeat_ngram)
    lite = seq2seq.Decoder(model, no_repeat_ngram, litert=True)
    prompts = np.array([[5, 6, 7, 0, 0, 0, 0, 0], [8, 9, 0, 0, 0, 0, 0, 0], [5, 5, 5, 5, 6, 7, 8, 9]], "int32")
    for rows, temperatures, top_k, seed in (
        (prompts, [0.0, 0.9, 1.5], 40, 0),
        (prompts[:1], [0.0], 1, 3),
        (prompts, [2.0, 2.0], len(VOCAB) + 5, 7),  # k above the vocabulary: all of it
    ):
        expected = graph.candidates(rows, 6, temperatures, top_k, seed)
        np.testing.assert_array_equal(lite.candidates(rows, 6, temperatures, top_k, seed), expected)
    assert lite._lite_candidates is not None and graph._lite_candidates is None


@pytest.mark.parametrize("litert", [False, True])
def test_candidates_do_not_depend_on_the_padding_after_the_prompts(toy_model, keras_seeded, litert):
    """candidates() reads the prompts only up to the batch's last word: the same ids however wide the padding."""
    decoder = seq2seq.Decoder(toy_model, 2, litert=litert)
    prompts = np.array([[5, 6, 7, 0], [8, 9, 0, 0], [0, 0, 0, 0]], "int32")  # the last: no word at all
    wide = np.pad(prompts, ((0, 0), (0, 20)))
    for rows in (prompts, prompts[1:], prompts[2:]):
        expected = decoder.candidates(np.pad(rows, ((0, 0), (0, 20))), 6, [0.0, 0.9, 1.5], 40, 1)
        np.testing.assert_array_equal(decoder.candidates(rows, 6, [0.0, 0.9, 1.5], 40, 1), expected)
    widths = []
    encode = decoder._encode_copies
    decoder._encode_copies = lambda prompt, copies: widths.append(prompt.shape[1]) or encode(prompt, copies)
    assert decoder.candidates(wide, 6, [0.0], 40, 1).shape[:2] == (3, 1)
    decoder.candidates(wide[2:], 6, [0.0], 40, 1)
    assert widths == [3, 1], "the encoder should read up to the batch's last word (at least one column)"


def test_replies_never_hold_special_tokens_and_are_never_empty(keras_seeded):
    model = seq2seq.build_model(len(VOCAB), embedding_dim=8, units=16, dropout=0.0)  # untrained: random replies
    bot = ChatBot(model, VOCAB, 8, 6)
    for method in ("greedy", "beam", "sample"):
        for reply in bot.replies(["hi", "ok", "what ?"], method=method, seed=1):
            assert reply and "[UNK]" not in reply and "[START]" not in reply and "[END]" not in reply


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("message", ["", "   ", "\u200b\u200b", "\n\t"])
def test_empty_messages_get_a_clear_error(bot, message):
    with pytest.raises(EmptyMessage, match="empty"):
        bot.reply(message)


@pytest.mark.parametrize(
    "message",
    [
        "?!...",
        "😂😂🔥",
        "zzyzx qwfp blorft",
        "Привет, как дела?",
        "你好吗",
        "مرحبا كيف حالك",
        "hi " * 2500,
        "a" * 5000,
        "<script>alert(1)</script>",
        "\x00\x01 hi",
        "hi \udcff\udcfe there",  # bytes that were not UTF-8, as a terminal hands them to Python (surrogateescape)
    ],
)
def test_odd_messages_get_a_reply(bot, message):
    for method in ("greedy", "beam", "sample"):
        reply = bot.reply(message, method=method)
        assert isinstance(reply, str) and reply.strip()


def test_long_messages_are_truncated_as_documented(bot):
    long = "hi " * 3000
    assert len(bot.prompt_tokens(long)) == bot.max_prompt
    # only the first MAX_CHARS characters are read: what follows them changes nothing
    assert bot.prompt_tokens("x" * MAX_CHARS + " how are you") == bot.prompt_tokens("x" * MAX_CHARS)
    assert bot.prompt_tokens("zzyzx hi") == [seq2seq.UNK, "hi"]


def test_wrong_types_and_options_are_rejected(bot):
    with pytest.raises(TypeError):
        bot.reply(None)
    with pytest.raises(TypeError):
        bot.reply(42)
    with pytest.raises(TypeError, match="list of messages"):
        bot.replies("hi")
    assert bot.replies([]) == []
    for bad in [
        dict(method="nope"),
        dict(method="beam", beam_width=0),
        dict(method="beam", beam_width=99),
        dict(method="sample", temperature=0),
        dict(method="sample", temperature=1e9),
        dict(method="sample", top_k=-1),
        dict(max_len=0),
        dict(max_len=10_000),
    ]:
        with pytest.raises(ValueError):
            bot.reply("hi", **bad)


def test_attention_weights_cover_the_prompt(bot):
    prompt, reply, weights = bot.attention("what are you doing tonight?")
    assert prompt == ["what", "are", "you", "doing", "tonight", "?"]
    assert reply[-1] == seq2seq.END and weights.shape == (len(reply), len(prompt))
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)


def test_vocabulary_must_match_the_model(toy_model):
    with pytest.raises(ValueError, match="do not belong together"):
        ChatBot(toy_model, VOCAB + ["extra"], 8, 6)
    with pytest.raises(ValueError, match="must start with"):
        ChatBot(toy_model, ["a", "b", "c", "d"] + WORDS, 8, 6)


def test_sanity_phrases_callback_logs_each_epoch(keras_seeded):
    data = seq2seq.encode_pairs(_toy_pairs(), VOCAB, max_prompt=8, max_reply=6)
    model = seq2seq.build_model(len(VOCAB), embedding_dim=8, units=16, dropout=0.0)
    lines = []
    callback = seq2seq.sanity_phrases(["hi", "how are you?"], VOCAB, 8, 6, printer=lines.append)
    model.fit(data.dataset(8), epochs=2, callbacks=[callback], verbose=0)
    assert [(epoch, prompt) for epoch, prompt, _ in callback.log] == [
        (1, "hi"),
        (1, "how are you?"),
        (2, "hi"),
        (2, "how are you?"),
    ]
    assert lines[0].startswith("epoch 1:") and "'hi' ->" in lines[0]


# --------------------------------------------------------------------------- evaluation helpers
def test_distinct_n():
    assert dialog_eval.distinct_n(["a b a b"], 1) == 0.5
    assert dialog_eval.distinct_n(["a b a b"], 2) == pytest.approx(2 / 3)
    assert dialog_eval.distinct_n(["i don't know"] * 10, 1) == pytest.approx(0.1)
    assert dialog_eval.distinct_n(["a"], 2) == 0.0


def test_questions_answered_with_questions():
    messages = ["how are you ?", "what is your favorite book ?", "i got the job !", "any plans ?", "who ?!"]
    replies = ["good , you ?", "what is your favorite book ?", "why ?", "not yet . you ?", "me ? ?"]
    # asked: 1, 2, 4 and 5; only questions: 2 ("... ?") and 5 ("?" twice); "good , you ?" has its one end a "?" too
    share, asked = dialog_eval.questions_answered_with_questions(messages, replies)
    assert asked == 4 and share == pytest.approx(3 / 4)
    share, _ = dialog_eval.questions_answered_with_questions(["any plans ?"], ["not yet . you ?"])
    assert share == 0.0, "a statement before the question is an answer"
    assert np.isnan(dialog_eval.questions_answered_with_questions(["hi"], ["hey ?"])[0])
    with pytest.raises(ValueError, match="one reply per message"):
        dialog_eval.questions_answered_with_questions(["hi ?"], [])


def test_retrieval_bot_returns_the_reply_of_the_nearest_prompt():
    bot = dialog_eval.RetrievalBot(
        ["how are you ?", "what are you doing tonight ?", "hi there"], ["fine", "nothing much", "hello"]
    )
    assert bot.replies(["how are you", "doing anything tonight ?", "hi"]) == ["fine", "nothing much", "hello"]
    with pytest.raises(ValueError):
        dialog_eval.RetrievalBot(["a"], [])


def test_style_data_and_classifier():
    import random

    rng = random.Random(0)
    pairs = []
    for i in range(400):
        me = i % 2 == 0
        text = (
            rng.choice(["hahaha yeah", "ya ok hahaha", "yeah hahaha totally"])
            if me
            else rng.choice(["Indeed, quite so.", "Well, I suppose.", "Certainly, yes."])
        )
        pairs.append({"reply": text, "reply_sender": "me" if me else f"other{i % 7}", "conversation": f"c{i // 4}"})
    data = dialog_eval.style_data(pairs, "me", seq2seq.split_of, max_tokens=25)
    texts, labels = data["train"]
    assert labels.mean() == 0.5 and all(t == t.lower() for t in texts)
    classifier = dialog_eval.StyleClassifier().fit(texts, labels)
    assert classifier.evaluate(*data["test"])["accuracy"] == 1.0
    assert classifier.share_you(["hahaha yeah ok"]) == 1.0 and classifier.share_you(["indeed , certainly ."]) == 0.0
    assert "hahaha" in classifier.top_features(20)["you"]


def test_any_text_gets_a_reply_or_the_empty_message_error(bot):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from helpers.text import has_visible_text

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.text(max_size=300))
    def check(message):
        try:
            reply = bot.reply(message)
        except EmptyMessage:
            assert not message.strip() or not bot_tokens(message) or not has_visible_text(message)
            return
        assert isinstance(reply, str) and reply.strip()

    def bot_tokens(message):
        from helpers.text import tokenize

        return tokenize(message[:MAX_CHARS])

    check()


@pytest.mark.parametrize("n", [2, 3])
def test_no_repeat_ngram_bans_exactly_the_repeated_ngrams(toy_model, n):
    import tensorflow as tf

    decoder = seq2seq.Decoder(toy_model, no_repeat_ngram=n)
    V = decoder.vocab_size
    seq = tf.constant([[5, 6, 7, 5, 6, 0, 0, 0], [5, 6, 7, 5, 6, 0, 0, 0]], tf.int32)
    penalty = decoder._repeats(seq, tf.constant(5)).numpy()  # five tokens written: ... 5 6 -> next?
    banned = {int(t) for t in np.nonzero(penalty[0] < 0)[0]}
    assert banned == {7}  # n=3: the trigram "5 6 7" was written; n=2: the bigram "6 7"
    penalty = decoder._repeats(seq, tf.constant(4)).numpy()  # written: 5 6 7 5 -> next?
    banned = {int(t) for t in np.nonzero(penalty[0] < 0)[0]}
    assert banned == (set() if n == 3 else {6})  # bigram "5 6" seen; trigram "7 5 ?" never seen
    assert (decoder._repeats(seq, tf.constant(1)).numpy() == 0).all() and penalty.shape == (2, V)
    with pytest.raises(ValueError):
        seq2seq.Decoder(toy_model, no_repeat_ngram=1)


def test_replies_hold_no_repeated_trigram(keras_seeded):
    model = seq2seq.build_model(len(VOCAB), embedding_dim=8, units=16, dropout=0.0)  # untrained: loves repeats
    raw, banned = ChatBot(model, VOCAB, 8, 12, no_repeat_ngram=0), ChatBot(model, VOCAB, 8, 12)
    messages = ["hi", "ok", "what ?", "how are you", "bye"]

    def trigrams(reply):
        tokens = reply.replace(".", " .").replace("!", " !").replace("?", " ?").split()
        return [tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)]

    for method in ("greedy", "beam", "sample"):
        for reply in banned.replies(messages, method=method, seed=2):
            grams = trigrams(reply)
            assert len(grams) == len(set(grams)), reply
    assert any(len(set(trigrams(r))) < len(trigrams(r)) for r in raw.replies(messages)), (
        "the untrained model never repeats itself, so this test shows nothing"
    )
    for message in messages:  # the ban is applied the same way by greedy and beam-1
        assert banned.reply(message) == banned.reply(message, method="beam", beam_width=1)


def test_chat_command_line_replies_line_by_line():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "helpers.chatbot", "--method", "greedy"],
        input="hi\nhow are you?\n\u200b\n\nwhat is your major?\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()  # one line out per line in: a blank line of a piped file does not end it
    assert len(lines) == 5 and lines[2].startswith("error: the message is empty"), lines
    assert lines[3] == "" and all(lines[i].strip() for i in (0, 1, 4))
    # no native TensorFlow/absl line (helpers/__init__.py); the first run on a machine shows LiteRT converting
    assert not litert.PROGRESS.sub("", result.stderr).strip(), result.stderr[-2000:]


def test_chat_command_line_names_the_bots_it_can_load_in_one_line():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "helpers.chatbot", "--name", "03_char_rnn/python"],  # a zoo model, not a chatbot
        input="hi\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2 and result.stdout == ""
    lines = litert.PROGRESS.sub("", result.stderr).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no bot '03_char_rnn/python': name a zoo bot (04_seq2seq/"), (
        lines
    )
    assert "make bot" in lines[0] and "shakespeare" not in lines[0]  # the chatbots only, not every zoo file


@pytest.mark.parametrize("max_len", [1, 2, 3])
def test_the_ngram_ban_works_for_replies_shorter_than_the_ngram(bot, max_len):
    for method in ("greedy", "beam", "sample"):
        reply = bot.reply("how are you?", method=method, max_len=max_len)
        assert 1 <= len(reply.replace(".", " .").split()) <= max_len
