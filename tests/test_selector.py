"""Response selection: the 1-of-100 protocol, the dual encoder, and the bot that generates, then ranks."""

import dataclasses
from dataclasses import asdict

import numpy as np
import pytest

from helpers import dialog_eval, selector, seq2seq
from helpers.chatbot import ChatBot, DecodeOptions, EmptyMessage, RankSettings, card_settings

MESSAGES = [
    "how are you ?",
    "do you like dogs ?",
    "what is your major ?",
    "hi",
    "where are you from ?",
    "see you later",
    "want to get lunch ?",
    "did you watch the game ?",
]
REPLIES = ["i am good", "i love dogs", "math", "hey there", "utah", "bye", "sure , at noon", "yes we won"]


# --------------------------------------------------------------------------- the bank
def test_bank_reply_never_stops_mid_sentence():
    short = "sure , at noon"
    assert selector.bank_reply(short) == short and selector.bank_reply(short.split()) == short
    words = [f"w{i}" for i in range(30)]
    assert selector.bank_reply(words) is None  # no sentence end within 25 tokens: left out, not cut
    cut = words[:10] + ["."] + words[10:19] + ["!!"] + words[19:]  # ends at tokens 11 and 21
    assert selector.bank_reply(cut) == " ".join(cut[:21])  # after the last end within the first 25
    assert selector.bank_reply(" ".join(cut), max_len=15) == " ".join(cut[:11])
    assert selector.bank_reply(["ok", "."] + words, max_len=25) is None  # two tokens are too few to say
    assert selector.bank_reply(words[:25]) == " ".join(words[:25])  # 25 tokens is a whole reply
    assert selector.bank_reply(["..."] + words) is None and selector.bank_reply(["?"] * 3 + words) == "? ? ?"


def test_the_zoo_bank_is_your_training_replies_as_the_bot_may_say_them():
    import json

    from helpers import paths

    bank = json.loads((paths.ZOO / "04_seq2seq" / "you_replies.json").read_text(encoding="utf-8"))["replies"]
    train = seq2seq.prepare("full")["splits"]["train"]
    sayable = (selector.bank_reply(p["reply_tokens"]) for p in train)
    assert bank == list(dict.fromkeys(r for r in sayable if r)), "rebuild it: python -m helpers.selector bank"
    # long replies are there, cut after a sentence end, not at the 25th token
    assert any(len(reply.split()) > 20 and reply.split()[-1] in {".", "!", "?"} for reply in bank)


def test_the_zoo_ships_its_bots_bank_as_both_readers_read_it(serve_models):
    """A fresh machine ranks with the shipped vectors instead of reading the bank for minutes; a bank, head or
    reader changed without ``python -m helpers.selector bank-vectors`` would silently read it again."""
    from helpers import paths, zoo

    bot = serve_models.bot  # warmed up: it has read (or looked up) its bank with both readers
    shipped = zoo._seeds(paths.ZOO.resolve())
    assert shipped is not None, "the zoo ships no bank vectors: python -m helpers.selector bank-vectors"
    for name, vectors in (("sentence_replies", bot.bank_sentence), ("mpnet_replies", bot._bank_reader)):
        ours = [a for stem, a in shipped.items() if stem.startswith(name) and a.shape == vectors.shape]
        assert any(np.array_equal(a.astype("float32"), vectors) for a in ours), (
            f"the zoo bot read its bank with {name} itself: remake them with python -m helpers.selector bank-vectors"
        )


# --------------------------------------------------------------------------- 1-of-100
def test_candidate_draw_is_seeded_and_holds_the_true_reply_first():
    draw = dialog_eval.candidate_draw(150, 100, seed=3)
    assert draw.shape == (150, 100)
    assert (draw[:, 0] == np.arange(150)).all()
    assert all(len(set(row)) == 100 and row[0] not in row[1:] for row in draw)
    assert (draw == dialog_eval.candidate_draw(150, 100, seed=3)).all()
    assert not (draw == dialog_eval.candidate_draw(150, 100, seed=4)).all()
    with pytest.raises(ValueError, match="at least 100"):
        dialog_eval.candidate_draw(50)


def test_response_selection_perfect_constant_and_inverted_scorers():
    n = 120
    messages, replies = [f"m{i}" for i in range(n)], [f"r{i}" for i in range(n)]
    perfect = dialog_eval.response_selection(lambda m, r: np.eye(n)[: len(m)], messages, replies)
    assert perfect["1-of-100"] == 1.0 and perfect["recall@10"] == 1.0
    constant = dialog_eval.response_selection(lambda m, r: np.zeros((len(m), len(r))), messages, replies)
    assert constant["1-of-100"] == pytest.approx(0.01) and constant["recall@10"] == pytest.approx(0.10)
    worst = dialog_eval.response_selection(lambda m, r: -np.eye(n)[: len(m)], messages, replies)
    assert worst["1-of-100"] == 0.0 and worst["mean rank"] == 100
    # per message and pairwise scorers see the same candidates
    calls = []

    def per_message(m, r):
        calls.append(len(r))
        return np.array([[1.0 if c == "r" + m[0][1:] else 0.0 for c in r]])

    assert dialog_eval.response_selection(per_message, messages, replies, per_message=True, limit=7)["1-of-100"] == 1.0
    assert calls == [100] * 7
    with pytest.raises(ValueError, match="shape"):
        dialog_eval.response_selection(lambda m, r: np.zeros((2, 2)), messages, replies)


def test_tfidf_and_commonest_share():
    score = dialog_eval.tfidf_scorer(MESSAGES + REPLIES)
    matrix = score(["i like dogs"], REPLIES)
    assert matrix.shape == (1, len(REPLIES)) and matrix[0].argmax() == REPLIES.index("i love dogs")
    assert dialog_eval.commonest_share(["a", "a", "b", "c"], top=1) == 0.5
    assert dialog_eval.commonest_share(["a", "b", "c", "d"], top=5) == 1.0


# --------------------------------------------------------------------------- the dual encoder
@pytest.fixture(scope="module")
def small_selector():
    from helpers.setup import seed_everything

    seed_everything(0)
    config = selector.SelectorConfig(max_words=300, recurrent_units=8, units=32, dim=16, embedding_dim=8, batch_size=8)
    vectorizer = selector.adapt_vectorizer(MESSAGES + REPLIES, config)
    model = selector.build_selector(vectorizer, config)
    model.fit(selector.dataset(MESSAGES * 8, REPLIES * 8, 8), epochs=40, verbose=0)
    return selector.Selector(model, config, name="toy")


def test_dual_encoder_learns_the_pairs_and_scores_raw_text(small_selector):
    scores = small_selector.score(MESSAGES, REPLIES, tokenized=True)
    assert scores.shape == (len(MESSAGES), len(REPLIES))
    assert (scores.argmax(axis=1) == np.arange(len(MESSAGES))).mean() >= 0.75
    vectors = small_selector.encode_replies(REPLIES, tokenized=True)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    raw = small_selector.score(["Do you like DOGS?"], ["I love dogs"])  # tokenized like the training data
    np.testing.assert_allclose(raw, small_selector.score(["do you like dogs ?"], ["i love dogs"], tokenized=True))
    with pytest.raises(TypeError):
        small_selector.encode_messages("one string")


def test_selector_round_trip_through_the_zoo(small_selector, tmp_path):
    import keras

    from helpers import zoo

    card = {
        "data": {"source": "a test"},
        "hyperparameters": {},
        "metrics": {},
        "training_seconds": 0,
        "reproduce": "test",
    }
    model = small_selector.model
    zoo.save(keras.Model(model.inputs, model.outputs), "t/selector", card, tmp_path)
    loaded = selector.Selector(zoo.load("t/selector", tmp_path), small_selector.config)
    np.testing.assert_allclose(
        loaded.score(MESSAGES, REPLIES, tokenized=True),
        small_selector.score(MESSAGES, REPLIES, tokenized=True),
        atol=1e-5,
    )


def test_towers_cut_to_the_longest_text_give_the_models_vectors(small_selector):
    import keras

    model = small_selector.model
    texts = ["hi", "do you like dogs ?", "[UNK] unseen words", " ".join(["dogs"] * 40), "sure , at noon"]
    for name, encode in (("message", small_selector._message), ("reply", small_selector._reply)):
        tower = keras.Model(model.get_layer(name).output, model.get_layer(f"{name}_vector").output)
        for batch in (texts, texts[:2], texts[3:4]):  # cut at 32 (the padded length), 5 and 32 words
            batch = np.asarray(batch, dtype=object)
            np.testing.assert_allclose(encode(batch).numpy(), tower(batch, training=False).numpy(), atol=1e-5)


def test_in_batch_softmax_prefers_matching_vectors():
    loss = selector.InBatchSoftmax(scale=10.0)
    eye = np.eye(4, dtype="float32")
    matching = float(np.mean(loss.call(None, np.concatenate([eye, eye], axis=1))))
    shuffled = float(np.mean(loss.call(None, np.concatenate([eye, eye[::-1]], axis=1))))
    assert matching < 0.01 < shuffled


def test_masked_max_pooling_never_picks_the_padding():
    pool = selector.MaskedMaxPooling()
    x = np.array([[[-3.0, 1.0], [-2.0, 5.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]], dtype="float32")
    mask = np.array([[True, True, False], [False, False, False]])
    out = np.asarray(pool(x, mask=mask))
    # the first text's padding (zeros) would beat -2 in the first feature; a text with no word gives zeros
    np.testing.assert_allclose(out, [[-2.0, 5.0], [0.0, 0.0]])
    np.testing.assert_allclose(np.asarray(pool(x)), [[0.0, 5.0], [0.0, 0.0]])  # without a mask: the plain max
    assert pool.compute_mask(x, mask) is None


# --------------------------------------------------------------------------- generate, then rank
@pytest.fixture(scope="module")
def ranked_bot(small_selector):
    from helpers.setup import seed_everything

    seed_everything(1)
    vocab = list(seq2seq.SPECIALS) + sorted({w for t in MESSAGES + REPLIES for w in t.split()})
    pairs = [{"prompt_tokens": m.split(), "reply_tokens": r.split()} for m, r in zip(MESSAGES, REPLIES)]
    data = seq2seq.encode_pairs(pairs * 8, vocab, max_prompt=8, max_reply=6)
    model = seq2seq.build_model(len(vocab), embedding_dim=8, units=16, dropout=0.0, learning_rate=1e-2)
    model.fit(data.dataset(16, seed=1), epochs=30, verbose=0)
    return ChatBot(
        model,
        vocab,
        8,
        6,
        name="toy",
        selector=small_selector,
        bank=REPLIES,
        settings=RankSettings(samples=4, retrieved=3),
    )


def test_ranked_bot_defaults_to_rank_and_answers_the_message(ranked_bot):
    assert ranked_bot.default_method == "rank"
    replies = ranked_bot.replies(MESSAGES)
    assert all(r.strip() for r in replies)
    assert sum(r.replace(" ,", ",") == t.replace(" ,", ",") for r, t in zip(replies, REPLIES)) >= 5
    for candidates in ranked_bot.ranked(MESSAGES[:3]):
        assert [c.score for c in candidates] == sorted((c.score for c in candidates), reverse=True)
        assert {c.kind for c in candidates} <= {"generated", "retrieved"}
    assert ranked_bot.reply("hi", method="greedy").strip()


def test_generated_candidates_that_max_len_stopped_are_left_out(ranked_bot):
    settings = ranked_bot.settings
    temperatures = [0.0] + [settings.temperature] * settings.samples
    ids = ranked_bot.decoder.candidates(ranked_bot.encode(MESSAGES), 2, temperatures, settings.top_k, seed=0)
    ended = (ids == seq2seq.END_ID).any(-1)
    assert ended.any() and not ended.all()  # at max_len 2 some candidates finish, others are cut mid-sentence

    def texts(rows):
        return {" ".join(seq2seq.ids_to_tokens(row, ranked_bot.vocabulary)) for row in rows} - {""}

    cut_only = set()
    for b, candidates in enumerate(ranked_bot.ranked(MESSAGES, max_len=2)):
        said = {c.text for c in candidates if c.kind == "generated"}
        assert said <= texts(ids[b][ended[b]]), MESSAGES[b]
        cut_only |= texts(ids[b][~ended[b]]) - texts(ids[b][ended[b]]) - set(REPLIES)
    assert cut_only  # there were cut candidates to leave out
    # a bot with no bank keeps its cut candidates rather than have nothing to say
    bankless = ChatBot(ranked_bot.model, ranked_bot.vocabulary, 8, 6, selector=ranked_bot.selector, bank=[])
    everyone_cut = [m for m, e in zip(MESSAGES, ended) if not e.any()]
    assert everyone_cut and all(bankless.ranked(everyone_cut, max_len=2))


def test_a_message_gets_the_same_reply_alone_or_in_a_batch(ranked_bot):
    alone = [ranked_bot.reply(m) for m in MESSAGES]
    assert ranked_bot.replies(MESSAGES) == alone
    assert ranked_bot.replies(MESSAGES[::-1]) == alone[::-1]
    ids_alone = ranked_bot.decoder.candidates(ranked_bot.encode(MESSAGES[:1]), 6, [0.0, 1.0, 1.0], 10, seed=2)
    ids_batch = ranked_bot.decoder.candidates(ranked_bot.encode(MESSAGES[:3]), 6, [0.0, 1.0, 1.0], 10, seed=2)
    width = min(ids_alone.shape[2], ids_batch.shape[2])
    np.testing.assert_array_equal(ids_alone[0, :, :width], ids_batch[0, :, :width])


def test_a_message_of_emoji_alone_is_read_as_their_words(ranked_bot):
    from helpers.emoji_data import emoji_as_words

    assert emoji_as_words("👋") == "hey there"
    assert ranked_bot.message_tokens("👋") == ranked_bot.prompt_tokens("👋") == ["hey", "there"]  # the generator too
    np.testing.assert_allclose(ranked_bot.score(["👋"], REPLIES), ranked_bot.score(["hey there"], REPLIES))
    assert ranked_bot.replies(["👋", "😡😡"]) == ranked_bot.replies(["hey there", emoji_as_words("😡😡")])
    # before, every emoji was one unknown token, and every one was answered alike
    assert not np.allclose(ranked_bot.score(["👋"], REPLIES), ranked_bot.score(["😡"], REPLIES))
    assert ranked_bot.message_tokens("hi 👋") == ["hi", "👋"]  # with words, the message is read as it is


def test_abbreviations_the_generator_lacks_are_spelled_out(ranked_bot):
    assert "hru" not in ranked_bot.index and ranked_bot.message_tokens("hru?") == ["how", "are", "you", "?"]
    assert ranked_bot.replies(["hru?"]) == ranked_bot.replies(["how are you?"])
    assert ranked_bot.message_tokens("hbu") == ["hbu"]  # "how about you": "about" is not in its vocabulary
    bankless = ChatBot(None, None, 8, 6, selector=ranked_bot.selector, bank=REPLIES)  # no generator, no vocabulary
    assert bankless.message_tokens("hru?") == ["hru", "?"]
    # a bot whose own replies are mostly words its vocabulary lacks chats in another language, where noslang's
    # entries are common words ("te", "tu", "da"): it reads messages as they are
    spanish = ["que tal amigo", "muy bien y tu", "te veo mañana", "hasta luego"]
    other = ChatBot(ranked_bot.model, ranked_bot.vocabulary, 8, 6, selector=ranked_bot.selector, bank=spanish)
    assert ranked_bot.reads_slang and not other.reads_slang
    assert other.message_tokens("hru?") == ["hru", "?"]


def test_score_api_shapes_and_refusals(ranked_bot):
    scores = ranked_bot.score(["Do you like dogs?", "where are you from?"], ["I love dogs!", "utah", "math"])
    assert scores.shape == (2, 3) and scores.dtype.kind == "f"
    assert scores[0].argmax() == 0 and scores[1].argmax() == 1
    with pytest.raises(ValueError, match="at least one"):
        ranked_bot.score([], ["ok"])
    with pytest.raises(ValueError, match="at least one"):
        ranked_bot.score(["hi"], [])
    with pytest.raises(TypeError):
        ranked_bot.score(["hi"], [42])
    with pytest.raises(TypeError):
        ranked_bot.score("hi", ["ok"])
    with pytest.raises(EmptyMessage):
        ranked_bot.score(["   "], ["ok"])
    with pytest.raises(EmptyMessage):
        ranked_bot.score(["hi"], [""])
    # bytes that were not UTF-8, as a terminal or a file read with surrogateescape hands them over: read as U+FFFD
    undecodable = ranked_bot.score(["do you like dogs? \udcff"], ["I love dogs! \udcfe", "utah"])
    assert undecodable.shape == (1, 2) and np.isfinite(undecodable).all()
    assert ranked_bot.reply("do you like dogs? \udcff\udcfe").strip()


def test_rank_refuses_what_reply_refuses(ranked_bot):
    with pytest.raises(EmptyMessage):
        ranked_bot.reply("  \u200b ")
    with pytest.raises(TypeError):
        ranked_bot.reply(None)
    with pytest.raises(ValueError, match="method"):
        ranked_bot.reply("hi", method="telepathy")


def test_selector_only_bot_replies_from_the_bank(small_selector):
    bot = ChatBot(None, None, 8, 6, name="tiny export", selector=small_selector, bank=REPLIES)
    assert bot.default_method == "rank"
    assert bot.reply("do you like dogs?") in [seq2seq.detokenize(r.split()) for r in REPLIES]
    assert all(c.kind == "retrieved" for c in bot.ranked(["hi"])[0])
    assert bot.ranked([]) == []
    with pytest.raises(ValueError, match="no generator"):
        bot.reply("hi", method="greedy")
    with pytest.raises(ValueError, match="needs a bank"):
        ChatBot(None, None, 8, 6, selector=small_selector)
    with pytest.raises(ValueError, match="needs a generator"):
        ChatBot(None, None, 8, 6)


def test_ranking_relevance_is_what_score_says(small_selector):
    lexical = selector.build_lexical(MESSAGES + REPLIES)
    with_lexical = selector.Selector(small_selector.model, small_selector.config, lexical=lexical, lexical_weight=0.5)
    bot = ChatBot(None, None, 8, 6, selector=with_lexical, bank=REPLIES, settings=RankSettings(retrieved=4))
    message = "do you like dogs ?"
    for candidate in bot.ranked([message])[0]:
        assert candidate.relevance == pytest.approx(float(bot.score([message], [candidate.text])[0, 0]), abs=1e-4)
    plain = ChatBot(None, None, 8, 6, selector=small_selector, bank=REPLIES)
    assert not np.allclose(bot.score([message], REPLIES), plain.score([message], REPLIES))  # the TF-IDF part counts


def test_reader_adds_its_weight_times_mpnets_cosine(small_selector):
    from helpers.mpnet import load_reader

    without = ChatBot(None, None, 8, 6, selector=small_selector, bank=REPLIES, settings=RankSettings(reader=0.0))
    bot = ChatBot(None, None, 8, 6, selector=small_selector, bank=REPLIES, settings=RankSettings(reader=0.5))
    messages, replies = ["Do you like dogs?", "where are you from"], ["I love dogs!", "utah", "i am from utah"]
    assert without._reader() is None  # weight 0: the reader is never built for this bot
    vectors = load_reader().encode(
        [" ".join(bot.message_tokens(m)) for m in messages] + [" ".join(bot._tokens(r)) for r in replies]
    )
    cosine = vectors[:2] @ vectors[2:].T
    np.testing.assert_allclose(bot.score(messages, replies) - without.score(messages, replies), 0.5 * cosine, atol=1e-5)
    assert cosine[1, 2] > cosine[1, 0], "mpnet should read 'i am from utah' as the answer to 'where are you from'"
    for message in messages:  # the ranking reads the reader the same way, bank replies from their cached vectors
        for candidate in bot.ranked([message])[0]:
            assert candidate.relevance == pytest.approx(float(bot.score([message], [candidate.text])[0, 0]), abs=1e-4)


def test_replies_leave_unread_only_the_candidates_that_could_not_come_first(ranked_bot, small_selector, monkeypatch):
    """``replies`` (``ranked(first_only=True)``) reads a generated candidate with the reader only when its score
    without the reader's term, plus the term's largest value, reaches the best bank reply's: the same first
    candidate as the whole ranking, the kept candidates scored alike, and fewer texts read."""
    settings = RankSettings(samples=4, temperature=1.5, retrieved=2, reader=0.5)  # hot samples: more unlike the bank
    bot = ChatBot(
        ranked_bot.model, ranked_bot.vocabulary, 8, 6, selector=small_selector, bank=REPLIES, settings=settings
    )
    read = []
    reader_vectors = bot._reader_vectors
    monkeypatch.setattr(bot, "_reader_vectors", lambda texts: read.append(len(texts)) or reader_vectors(texts))
    messages = MESSAGES + ["do you like cats ?", "how was the game ?", "lunch at noon ?"]
    whole = bot.ranked(messages)
    whole_read, read[:] = sum(read), []
    first = bot.ranked(messages, first_only=True)
    assert sum(read) < whole_read, "some generated candidate here cannot win and should be left unread"
    assert bot.replies(messages) == [row[0].text for row in whole]
    assert bot.decode_kinds(messages) == [(row[0].text, row[0].kind) for row in whole]  # what /api/chat says
    greedy = bot.decode_kinds(messages, DecodeOptions(method="greedy"))
    assert greedy == [(reply, "generated") for reply in bot.replies(messages, method="greedy")]
    with pytest.raises(TypeError, match="list of messages"):
        bot.decode_kinds("hi")
    for full, kept in zip(whole, first):
        assert kept[0] == full[0]
        scores = {(c.text, c.kind): c.score for c in full}
        assert all(scores[c.text, c.kind] == pytest.approx(c.score, abs=1e-5) for c in kept)
        left_out = [c for c in full if c not in kept]
        assert all(c.kind == "generated" and c.score < kept[0].score for c in left_out)
    # the bound on numbers made up for it: message 0 reads as bank reply 0 (cosine 1) and not as bank reply 1
    bot.__dict__["_bank_reader"] = np.eye(2, 768, dtype="float32")
    owner, rows = np.array([0, 0, 0, 0, 1]), np.array([0, 1, -1, -1, -1])
    rest = np.array([0.5, 0.2, 0.51, 0.49, -5.0])  # bank reply 0: 0.5 + 0.5 x 1 = 1.0, the best of message 0
    kept = bot._could_be_first(owner, rows, rest, np.eye(2, 768, dtype="float32"))
    # left out: 0.49 + 0.5 < 1.0; kept: message 1's candidate, which has no bank reply to lose to
    np.testing.assert_array_equal(kept, [True, True, True, False, True])
    # where the term could lift anything to the top (a large weight), every candidate is read
    lifted = ChatBot(
        ranked_bot.model,
        ranked_bot.vocabulary,
        8,
        6,
        selector=small_selector,
        bank=REPLIES,
        settings=dataclasses.replace(settings, reader=50.0),
    )
    assert lifted.ranked(messages, first_only=True) == lifted.ranked(messages)


def test_the_reader_can_choose_the_bank_replies_too(small_selector):
    """With ``reader_retrieves`` the bank replies a message gets are the nearest by the whole relevance (towers and
    reader), not by the towers alone; the scores of the candidates are what ``score`` says either way."""
    settings = RankSettings(reader=0.5, retrieved=1, samples=0)
    towers = ChatBot(None, None, 8, 6, selector=small_selector, bank=REPLIES, settings=RankSettings(reader=0.0))
    plain = ChatBot(None, None, 8, 6, selector=small_selector, bank=REPLIES, settings=settings)
    both = ChatBot(
        None,
        None,
        8,
        6,
        selector=small_selector,
        bank=REPLIES,
        settings=dataclasses.replace(settings, reader_retrieves=True),
    )
    said, differ = [seq2seq.detokenize(r.split()) for r in REPLIES], 0  # as the bot says a bank reply
    unseen = ["which state do you live in ?", "what subject do you study ?", "farewell my friend"]  # few known words
    for message in MESSAGES + unseen:
        (chosen,) = both.ranked([message])[0]
        (near,) = plain.ranked([message])[0]
        assert chosen.text == said[int(np.argmax(both.score([message], REPLIES)[0]))]
        assert near.text == said[int(np.argmax(towers.score([message], REPLIES)[0]))]
        assert chosen.relevance == pytest.approx(float(both.score([message], [chosen.text])[0, 0]), abs=1e-4)
        differ += chosen.text != near.text
    assert differ, "the reader should change which bank reply is nearest for some message"


@pytest.fixture(scope="module")
def style():
    """A small style model that tells the replies from the messages."""
    model = selector.build_style_model(REPLIES + MESSAGES)
    model.fit(
        np.asarray(REPLIES + MESSAGES, dtype=object),
        np.r_[np.ones(len(REPLIES)), np.zeros(len(MESSAGES))],
        epochs=5,
        verbose=0,
    )
    return model


def test_prepared_bank_gives_the_same_candidates_and_scores(ranked_bot, small_selector, style):
    lexical = selector.build_lexical(MESSAGES + REPLIES)
    with_lexical = selector.Selector(small_selector.model, small_selector.config, lexical=lexical, lexical_weight=0.5)
    bot = ChatBot(
        ranked_bot.model,
        ranked_bot.vocabulary,
        8,
        6,
        selector=with_lexical,
        bank=REPLIES,
        style=style,
        settings=RankSettings(samples=3, retrieved=4, style=0.5),
    )
    before = bot.ranked(MESSAGES)
    assert bot.prepare_bank() is bot and bot._bank_style is not None and bot._bank_lexical is not None
    after = bot.ranked(MESSAGES)
    assert any(c.kind == "retrieved" for row in after for c in row)  # the looked-up parts are used
    assert any(c.style != 0 for row in after for c in row)
    for old, new in zip(before, after):
        assert [(c.text, c.kind) for c in old] == [(c.text, c.kind) for c in new]
        np.testing.assert_allclose([c.score for c in old], [c.score for c in new], atol=2e-4)
        np.testing.assert_allclose([c.style for c in old], [c.style for c in new], atol=2e-4)
    message = MESSAGES[0]
    for candidate in after[0]:  # still what score() says
        assert candidate.relevance == pytest.approx(float(bot.score([message], [candidate.text])[0, 0]), abs=1e-4)


def test_ranking_score_is_the_score_ranked_orders_by(ranked_bot, small_selector, style):
    settings = RankSettings(samples=3, retrieved=4, style=0.5, echo=1.0, echo_from=0.5, opening=0.0)  # opening: below
    parts = dict(selector=small_selector, bank=REPLIES, style=style, settings=settings)
    bot = ChatBot(ranked_bot.model, ranked_bot.vocabulary, 8, 6, **parts)
    for message, row in zip(MESSAGES, bot.ranked(MESSAGES)):
        whole = bot.ranking_score([message], [c.text for c in row])[0]
        np.testing.assert_allclose(whole, [c.score for c in row], atol=2e-4)
    # a copy of the message is penalised by the whole echo weight; a reply sharing half its words or less, not at all
    message = "do you like dogs ?"
    parts = bot.ranking_score([message], [message, "yes i like cats", "i am from utah"]) - bot.score(
        [message], [message, "yes i like cats", "i am from utah"]
    )
    style_terms = 0.5 * bot._style_log_odds(["do you like dogs ?", "yes i like cats", "i am from utah"])
    np.testing.assert_allclose(parts[0] - style_terms, [-1.0, 0.0, 0.0], atol=1e-4)
    with pytest.raises(ValueError, match="echo_from"):
        RankSettings(echo_from=1.0)


def test_a_card_written_before_echo_from_keeps_its_linear_echo_penalty():
    old = RankSettings(**card_settings({"style": 0.05, "echo": 0.6}))
    assert (old.echo, old.echo_from) == (0.6, 0.0)
    assert old.penalty(0.0, 0.5) == pytest.approx(0.3)  # 0.6 x the share, as it was
    assert RankSettings(**card_settings({"style": 0.01})) == RankSettings(style=0.01)
    assert RankSettings(**card_settings(asdict(RankSettings()))) == RankSettings()


def test_greedy_rows_of_the_candidate_batch_are_the_greedy_replies(ranked_bot):
    # the candidate loop runs the output layer on the rows still writing only: a finished row must not
    # change what the others write, so its temperature-0 rows are exactly greedy decoding
    prompts = ranked_bot.encode(MESSAGES)
    greedy, _ = ranked_bot.decoder.greedy(prompts, 6)
    ids = ranked_bot.decoder.candidates(prompts, 6, [0.0, 1.5, 0.0, 1.5], 10, seed=3)
    for row in range(len(MESSAGES)):
        for copy in (0, 2):
            assert seq2seq.ids_to_tokens(ids[row, copy], ranked_bot.vocabulary) == seq2seq.ids_to_tokens(
                greedy[row], ranked_bot.vocabulary
            )
        for copy in range(4):  # after [END], only padding
            written = list(ids[row, copy])
            if seq2seq.END_ID in written:
                assert set(written[written.index(seq2seq.END_ID) + 1 :]) <= {seq2seq.PAD_ID}


def test_echo_negatives_count_the_message_itself_as_a_wrong_reply():
    plain, echo = selector.InBatchSoftmax(scale=10.0), selector.InBatchSoftmax(scale=10.0, echo_negatives=True)
    eye = np.eye(4, dtype="float32")
    # replies match their messages; read as replies, the messages are far from them: little extra loss
    far = np.concatenate([eye, eye, -eye], axis=1)
    assert float(np.mean(echo.call(None, far))) == pytest.approx(float(np.mean(plain.call(None, far[:, :8]))), abs=0.01)
    # a message read as a reply lies on the message itself: now a strong rival of the true reply
    near = np.concatenate([eye, eye, eye], axis=1)
    assert float(np.mean(echo.call(None, near))) > float(np.mean(plain.call(None, near[:, :8]))) + 0.2
    assert selector.InBatchSoftmax.from_config(echo.get_config()).echo_negatives


def test_the_opening_term_is_in_the_score_ranked_orders_by(ranked_bot, small_selector, style):
    """With ``RankSettings.opening`` every candidate gains ``opening`` times ``log p(k | m) - log p(k)`` of its opening kind
    (the zoo's reply-kinds model): in :meth:`ranked` (the cascade included) as in :meth:`ranking_score`."""
    from helpers.reply_kinds import load_reply_kinds, opening

    settings = RankSettings(samples=3, retrieved=4, style=0.5, opening=0.3)
    parts = dict(selector=small_selector, bank=REPLIES, style=style)
    bot = ChatBot(ranked_bot.model, ranked_bot.vocabulary, 8, 6, settings=settings, **parts)
    plain = ChatBot(
        ranked_bot.model, ranked_bot.vocabulary, 8, 6, settings=dataclasses.replace(settings, opening=0.0), **parts
    )
    for message, row in zip(MESSAGES, bot.ranked(MESSAGES)):
        whole = bot.ranking_score([message], [c.text for c in row])[0]
        np.testing.assert_allclose(whole, [c.score for c in row], atol=2e-4)
    kinds = load_reply_kinds()
    message, replies = "what is your favorite book ?", ["i like fantasy books", "what is your favorite book ?"]
    added = bot.ranking_score([message], replies) - plain.ranking_score([message], replies)
    ratios = kinds.log_ratios([message])[0]
    expected = [0.3 * ratios[kinds.index[opening(r.split(), kinds.index)]] for r in replies]
    np.testing.assert_allclose(added[0], expected, atol=1e-6)
    assert added[0, 0] > 0 > added[0, 1], "an answer should gain over the question's own paraphrase"
    assert not plain.ranking_parts([message], replies)["opening"].any()  # off: the model is not even asked
