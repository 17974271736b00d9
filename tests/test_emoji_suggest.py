"""Emoji suggestion: tweet preparation and splits, the emoji table, scoring, the suggester, the emoticon test, the VAE."""

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from scipy.special import logsumexp

from helpers import emoji_data, emoji_suggest, litert, sentiment
from helpers.emoji_suggest import EmojiSuggester, EmojiTable, TopicMatcher


# --------------------------------------------------------------------------- sentiment data
def test_prepare_masks_urls_and_mentions():
    assert sentiment.prepare("@united Thanks!! http://t.co/x1 :)") == "@user thanks ! ! http :)"
    assert sentiment.prepare("see www.example.com NOW") == "see http now"
    assert sentiment.prepare("   ") == ""


def test_tweet_splits_deduplicate_and_keep_copies_together():
    tweets = (
        [{"text": "Great flight, thanks!", "label": "positive"}] * 3
        + [{"text": "great flight , thanks !", "label": "positive"}]  # the same once prepared
        + [{"text": "meh", "label": "neutral"}, {"text": "MEH", "label": "negative"}]  # conflicting labels
        + [{"text": f"tweet number {i}", "label": "negative"} for i in range(200)]
    )
    splits = sentiment.tweet_splits(tweets)
    texts = [t for name in ("train", "validation", "test") for t in splits[name]["text"]]
    assert len(texts) == len(set(texts)) == 201
    assert "meh" not in texts and splits["dropped"] == {"conflicting_labels": 1, "repeats": 4}
    assert sentiment.split_of_text("great flight , thanks !") in ("train", "validation", "test")
    sizes = {name: len(splits[name]["text"]) for name in ("train", "validation", "test")}
    assert sizes["train"] > sizes["validation"] > 0 and sizes["test"] > 0
    for name in ("train", "validation", "test"):
        assert len(splits[name]["label"]) == len(splits[name]["text"]) == len(splits[name]["confidence"])


def test_class_weights_balance_the_classes():
    labels = np.array([0] * 6 + [1] * 3 + [2] * 1)
    weights = sentiment.class_weights(labels)
    totals = [weights[k] * np.sum(labels == k) for k in range(3)]
    assert totals == pytest.approx([10 / 3] * 3)
    with pytest.raises(ValueError, match="every class"):
        sentiment.class_weights(np.array([0, 1, 1]))


def test_shift_prior_is_bayes_rule_and_estimate_prior_finds_the_prior_of_new_texts():
    rows = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])
    assert sentiment.shift_prior(rows, [1 / 3] * 3) == pytest.approx(rows)  # the trained prior changes nothing
    shifted = sentiment.shift_prior(rows, [0.2, 0.6, 0.2])
    assert shifted.sum(1) == pytest.approx([1, 1]) and (shifted[:, 1] > rows[:, 1]).all()
    assert shifted[0] == pytest.approx(np.array([0.12, 0.18, 0.02]) / 0.32)
    # texts of three kinds; a calibrated classifier trained on balanced classes gives p(c | x) = L(x | c) / sum_c L
    likelihood = np.array([[0.7, 0.2, 0.1], [0.2, 0.6, 0.2], [0.1, 0.2, 0.7]])  # L(x | c): rows c, columns x
    outputs = (likelihood / likelihood.sum(0)).T  # (x, c)
    for true_prior in ([0.1, 0.8, 0.1], [0.5, 0.3, 0.2]):
        counts = np.rint(10_000 * np.asarray(true_prior) @ likelihood).astype(int)  # texts of each kind
        probabilities = np.repeat(outputs, counts, axis=0)
        assert sentiment.estimate_prior(probabilities) == pytest.approx(true_prior, abs=2e-3)
        assert np.abs(probabilities.mean(0) - true_prior).max() > 0.05  # the plain mean of the outputs is not it
    with pytest.raises(ValueError, match="matrix"):
        sentiment.estimate_prior(np.zeros((0, 3)))


def test_tfidf_baseline_learns_and_explains():
    texts = [
        "i love it",
        "love this so much",
        "great , thanks",
        "awful delay",
        "i hate waiting",
        "worst service",
        "the flight leaves at 5",
        "gate 12 today",
        "flight info please",
    ] * 5
    labels = [2, 2, 2, 0, 0, 0, 1, 1, 1] * 5
    baseline = sentiment.TfidfBaseline(C=10, min_df=1).fit(texts, labels)
    predicted = baseline.predict_proba(["love love love", "awful awful", "gate info"]).argmax(1)
    assert predicted.tolist() == [2, 0, 1]
    top = baseline.top_words(3)
    assert set(top) == set(sentiment.CLASSES) and "love" in top["positive"]
    assert sentiment.macro_f1(labels, baseline.predict_proba(texts).argmax(1)) == 1.0


def test_neural_classifiers_build_and_run():
    words = ["good", "bad", "flight"]
    layer = sentiment.vectorizer(words, sequence_length=6)
    cnn = sentiment.build_cnn(len(words) + 2, 6, embedding_dim=8, filters=4, windows=(2, 3))
    lstm = sentiment.build_lstm(np.random.default_rng(0).normal(size=(len(words) + 2, 5)).astype("float32"), 6, units=4)
    model = sentiment.text_model(layer, [cnn, lstm])
    probabilities = sentiment.predict_proba(model, ["good flight", "bad bad", "unknown words only"])
    assert probabilities.shape == (3, 3) and np.allclose(probabilities.sum(1), 1, atol=1e-5)
    assert sentiment.predict_proba(model, []).shape == (0, 3)


def test_trimmed_predictor_gives_the_models_probabilities():
    words = ["good", "bad", "flight", "late", "gate"]
    layer = sentiment.vectorizer(words, sequence_length=6)
    cnn = sentiment.build_cnn(len(words) + 2, 6, embedding_dim=8, filters=4, windows=(2, 3))
    lstm = sentiment.build_lstm(np.random.default_rng(0).normal(size=(len(words) + 2, 5)).astype("float32"), 6, units=4)
    # the LSTM is read up to the longest text; the CNN (its max-pool sees the padding) is not
    assert sentiment._masked_reader(lstm) is not None and sentiment._masked_reader(cnn) is None
    texts = ["good", "bad bad flight", "", "late gate good bad flight late gate good", "unknown", "gate late"]
    for model in (
        sentiment.text_model(layer, [cnn, lstm]),
        sentiment.text_model(layer, [lstm]),
        sentiment.text_model(layer, [cnn]),  # nothing to trim: run as it is
    ):
        predict = sentiment.trimmed_predictor(model)
        expected = model(np.asarray(texts, dtype=object), training=False).numpy()
        for batch in (texts, texts[:1], texts[2:3], texts[4:]):  # one text, an empty one, short ones only
            found = predict(np.asarray(batch, dtype=object)).numpy()
            assert np.abs(found - expected[[texts.index(t) for t in batch]]).max() < 1e-6
        # in chunks of about the same length, then back in order
        assert np.abs(sentiment.predict_by_length(predict, texts, chunk=2) - expected).max() < 1e-6


def test_many_predictors_print_no_retracing_warning(tf_log):
    """Each predictor is a traced function of its own: building one per suggester, again and again (a notebook cell
    run six times), must not make TensorFlow warn that one function keeps retracing."""
    words = ["good", "bad", "flight"]
    layer = sentiment.vectorizer(words, sequence_length=4)
    lstm = sentiment.build_lstm(np.random.default_rng(1).normal(size=(len(words) + 2, 3)).astype("float32"), 4, units=2)
    cnn = sentiment.build_cnn(len(words) + 2, 4, embedding_dim=4, filters=2, windows=(2,))
    for _ in range(7):
        for model in (sentiment.text_model(layer, [lstm]), sentiment.text_model(layer, [cnn])):
            sentiment.trimmed_predictor(model)(np.asarray(["good flight"], dtype=object))
    assert "retracing" not in tf_log.getvalue(), tf_log.getvalue()


TWIN_TEXTS = [
    "i love it",
    "love this so much !",
    "great , thanks",
    "awful delay again",
    "i hate waiting",
    "worst service ever",
    "the flight leaves at 5",
    "gate 12 today",
    "flight info please",
    "cancelled cancellation",
]


@pytest.mark.parametrize("characters", [False, True])
def test_tfidf_twin_gives_scikit_learns_probabilities_and_loads_safely(characters, tmp_path):
    import keras

    labels = [2, 2, 2, 0, 0, 0, 1, 1, 1, 0]
    baseline = sentiment.TfidfBaseline(C=10, min_df=1, characters=characters).fit(TWIN_TEXTS * 3, labels * 3)
    twin = sentiment.tfidf_twin(baseline)
    unseen = ["I LOVE delays", "a", "", "café 😂 cancel", "flight flight flight flight", "zzz qqq"]
    texts = TWIN_TEXTS + unseen  # upper case, a one-letter word, nothing at all, unknown words only
    expected = baseline.predict_proba(texts)
    assert np.abs(sentiment.predict_proba(twin, texts) - expected).max() < 1e-5
    assert np.abs(sentiment.predict_proba(twin, texts, batch_size=4) - expected).max() < 1e-5  # batches apart
    twin.save(tmp_path / "twin.keras")
    again = keras.models.load_model(tmp_path / "twin.keras", safe_mode=True)
    assert np.abs(sentiment.predict_proba(again, texts) - expected).max() < 1e-5


def test_text_ngrams_are_scikit_learns():
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["a bb ccc dddddd", "Café au lait 😂", "  spaced   out  ", ""]
    for analyzer, widths, sk in (
        ("char_wb", (2, 3, 4, 5), TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))),
        ("word", (1, 2), TfidfVectorizer(ngram_range=(1, 2), token_pattern=r"\S+", lowercase=False)),
    ):
        grams = sentiment.TextNgrams(analyzer, widths)(np.asarray(texts, dtype=object)).numpy()
        analyze = sk.build_analyzer()
        for text, row in zip(texts, grams):
            ours = sorted(g.decode() for g in row if g)
            assert ours == sorted(analyze(text)), (analyzer, text)
    with pytest.raises(ValueError, match="analyzer"):
        sentiment.TextNgrams("chars")


def test_averaged_model_mixes_the_two_and_the_share_is_chosen_on_validation():
    import keras

    labels = np.array([2, 2, 2, 0, 0, 0, 1, 1, 1, 0])
    twin = sentiment.tfidf_twin(sentiment.TfidfBaseline(C=10, min_df=1).fit(TWIN_TEXTS * 3, list(labels) * 3))
    text = keras.Input(shape=(), dtype="string")
    uniform = keras.Model(
        text,
        keras.layers.Dense(3, activation="softmax", kernel_initializer="zeros")(
            keras.layers.Reshape((1,))(keras.layers.StringLookup(vocabulary=["x"], output_mode="int")(text))
        ),
    )  # the same probabilities, 1/3 each, for every text
    for share, expected in ((0.0, np.full((10, 3), 1 / 3)), (1.0, sentiment.predict_proba(twin, TWIN_TEXTS))):
        mixed = sentiment.predict_proba(sentiment.averaged(uniform, twin, share), TWIN_TEXTS)
        assert np.abs(mixed - expected).max() < 1e-5
    inner = sentiment.ensemble_of(sentiment.averaged(uniform, twin, 0.3))  # what the emoji suggester reads
    assert np.abs(sentiment.predict_proba(inner, TWIN_TEXTS) - 1 / 3).max() < 1e-6
    assert np.abs(sentiment.predict_proba(sentiment.ensemble_of(uniform), TWIN_TEXTS) - 1 / 3).max() < 1e-6
    share, scores = sentiment.choose_share(uniform, twin, {"text": TWIN_TEXTS, "label": labels})
    assert share > 0 and scores[share] == max(scores.values()) and scores[0.0] < scores[share]


@pytest.mark.parametrize(
    "module, argv", [(sentiment, ["tfidf"]), (emoji_suggest, ["suggest", "hello"])], ids=["sentiment", "suggest"]
)
def test_a_damaged_zoo_file_is_one_error_line(module, argv, monkeypatch, capsys):
    from helpers import zoo

    def damaged(name, root=None, **kwargs):
        raise zoo.ZooError(f"zoo/{name}.keras does not match its checksum: restore it with git checkout")

    monkeypatch.setattr(zoo, "load", damaged)
    assert module.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: zoo/{sentiment.ZOO_NAME}.keras does not match its checksum: restore it with git checkout"]


def test_the_suggest_command_keeps_the_lines_of_piped_input(monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("pizza tonight?\n\nugh mondays\n"))
    assert emoji_suggest.main(["suggest", "-k", "2"]) == 0
    lines = capsys.readouterr().out.split("\n")
    assert lines[0].endswith("\tpizza tonight?") and lines[1] == "" and lines[2].endswith("\tugh mondays")


@pytest.mark.parametrize("k", ["0", "51", "-3"])
def test_the_suggest_command_refuses_a_bad_k_in_one_line(k, capsys):
    with pytest.raises(SystemExit) as exit_:
        emoji_suggest.main(["suggest", "-k", k, "hello"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith(f"argument -k: the number of emoji is from 1 to {emoji_suggest.MAX_K}, not {k}")


# --------------------------------------------------------------------------- the emoji table and scoring
@pytest.fixture(scope="module")
def table():
    return EmojiTable.build()


def test_profiles_are_computed_once_and_again_when_the_keywords_change():
    table = EmojiTable.build()
    first = table.profiles
    assert table.profiles is first and not first.flags.writeable  # read several times a suggestion, computed once
    table.keyword_profiles = np.tile([0.8, 0.1, 0.1], (len(table), 1))  # what read_keywords sets
    taco = table.index("🌮")  # unranked: its profile leans on the keywords
    assert table.profiles is not first and table.profiles[taco, 0] > first[taco, 0]


def test_emoji_table(table):
    assert 1000 < len(table) < 1600 and "😂" in table.emoji and "♡" not in table.emoji
    taco = table.index("🌮")  # newer than the ranking: from the CLDR table
    assert not table.ranked[taco] and table.ranked[table.index("😂")]
    assert table.occurrences[taco] == np.median(table.occurrences[table.ranked])
    assert {"birthday", "cake", "celebration"} <= set(table.words[table.index("🎂")])  # CLDR keywords
    assert np.allclose(table.profiles.sum(1), 1)
    assert table.index("❤️") == table.index("❤")  # with or without the variation selector
    with pytest.raises(KeyError):
        table.index("x")
    assert "face" not in table.words[table.index("😆")]  # generic name words are dropped
    assert "laughing" in table.words[table.index("😆")]
    assert table.emoji_in("ok 👍 and ❤️ and :)") == [table.index("👍"), table.index("❤")]
    assert table.emoji_in("ok # 1 and :) *") == []  # plain ASCII holds no emoji (the fast path)
    assert table.emoji_in("(c) 2024 \u00a9\ufe0f") == [table.index("©")]  # one code point past ASCII is searched
    assert np.isclose(table.class_share().sum(), 1)


def test_log_prior_with_personal_counts(table):
    ranking = table.log_prior()
    assert np.isclose(np.exp(ranking).sum(), 1) and ranking[table.index("😂")] == ranking.max()
    personal = table.log_prior({"😊": 1000})
    assert np.isclose(np.exp(personal).sum(), 1) and personal.argmax() == table.index("😊")
    with pytest.raises(KeyError):
        table.log_prior({"no emoji": 3})


def test_sentiment_term_is_bayes_rule(table):
    positive = emoji_suggest.sentiment_term(np.array([[0.0, 0.0, 1.0]]), table)[0]
    negative = emoji_suggest.sentiment_term(np.array([[1.0, 0.0, 0.0]]), table)[0]
    heart, sad = table.index("❤"), table.index("😞")
    assert positive[heart] > positive[sad] and negative[sad] > negative[heart]
    # p(e | m) = p(e) * sum_c p(c|m) p(c|e) / p(c) sums to 1 over the emoji
    mixed = np.array([[0.2, 0.3, 0.5]])
    total = np.exp(table.log_prior() + emoji_suggest.sentiment_term(mixed, table)).sum()
    assert total == pytest.approx(1.0, rel=1e-6)


def test_top_k_accuracy():
    scores = np.array([[0.1, 0.5, 0.4], [0.9, 0.05, 0.05]])
    assert emoji_suggest.top_k_accuracy(scores, [[1], [2]], 1) == 0.5
    assert emoji_suggest.top_k_accuracy(scores, [[0], [1, 2]], 2) == 0.5
    assert emoji_suggest.top_k_accuracy(scores, [[0], [2]], 3) == 1.0


class _Vectors:
    """A tiny stand-in for gensim KeyedVectors."""

    def __init__(self, vectors):
        self.key_to_index = {w: i for i, w in enumerate(vectors)}
        self.index_to_key = list(vectors)
        self._vectors = {w: np.asarray(v, "float32") for w, v in vectors.items()}
        self.vector_size = len(next(iter(vectors.values())))

    def __getitem__(self, word):
        return self._vectors[word]


@pytest.fixture(scope="module")
def matcher(table):
    rng = np.random.default_rng(0)
    words = {w for char_words in table.words for w in char_words} | {"pizzaish", "weather", "today", "nice"}
    vectors = {w: rng.normal(size=50) for w in sorted(words)}
    vectors["pizzaish"] = vectors["pizza"] + 0.05 * rng.normal(size=50)  # a word close to 🍕's "pizza" only
    pool = sorted(vectors)
    texts = [" ".join(rng.choice(pool, 3)) for _ in range(300)]  # typical texts for the z-score statistics
    return TopicMatcher(table, _Vectors(vectors)).fit_stats(texts)


def test_topic_matcher(table, matcher):
    sims = matcher.similarity(["pizzaish", "the and of", ""])
    pizza = table.index("🍕")
    assert sims[0, pizza] == pytest.approx(sims[0].max()) and sims[0, pizza] > 0.9
    assert not sims[1].any() and not sims[2].any()  # no content words: no similarity
    z = matcher.z(["pizzaish", "the and of"])
    assert z[0].argmax() == pizza and not z[1].any()
    with pytest.raises(ValueError, match="two texts"):
        TopicMatcher(table, matcher.kv).fit_stats(["the"])
    assert matcher.content_words("pizzas and the pizza") == ["pizza"]  # a plural brings its singular
    faint = TopicMatcher(table, matcher.kv, min_cosine=min(1.0, float(sims[0, pizza]) + 1e-3))
    faint.mean, faint.std = matcher.mean, matcher.std
    assert not faint.z(["pizzaish"]).any()  # below min_cosine: no topic
    with pytest.raises(ValueError, match="emoji vectors"):
        TopicMatcher(table, matcher.kv, np.zeros((3, 50)))


def test_named_topic_is_an_idf_weighted_stem_match(table, matcher):
    named = matcher.named(["pizzas tonight", "the and of", ""])
    pizza = table.index("🍕")
    assert named[0, pizza] == pytest.approx(named[0].max()) and 0 < named[0, pizza] <= 1  # "pizzas" names 🍕
    assert not named[1].any() and not named[2].any()
    # a stem many emoji share counts less than one only a few share
    sizes = np.diff(matcher.stem_splits)
    common, rare = int(np.argmax(sizes)), int(np.argmin(sizes))
    assert sizes[common] > sizes[rare] and matcher.stem_idf[common] < matcher.stem_idf[rare]
    assert len(matcher.word_stem) == len(matcher.kv.index_to_key)


def test_valence_from_vaders_lexicon(table):
    lexicon = emoji_data.valence_lexicon()
    assert len(lexicon) > 7000 and lexicon["lol"] > 0 > lexicon["sick"]
    valence = emoji_suggest.message_valence(["my cat is sick", "lol", "pizza for dinner ?"], lexicon)
    assert valence[0] < 0 < valence[1] and valence[2] == 0 and np.all(np.abs(valence) < 1)
    term = emoji_suggest.valence_term(valence, table)
    assert term.shape == (3, len(table)) and not term[2].any()
    assert term[0, table.index("😢")] > term[0, table.index("😍")]  # a sad message favours sad emoji


def test_lead_with_feeling_moves_the_best_emoji_of_the_feeling_first():
    score = np.array([[5.0, 4.0, 3.0, 2.0, 1.0]] * 3)
    polarity = np.array([0.0, 0.1, -0.6, 0.7, -0.9])
    order = emoji_suggest.lead_with_feeling(score, np.array([-0.5, 0.1, 0.5]), polarity, window=4)
    assert order[0].tolist() == [2, 0, 1, 3, 4]  # negative: the best clearly negative emoji leads
    assert order[1].tolist() == [0, 1, 2, 3, 4]  # no clear feeling: score order
    assert order[2].tolist() == [3, 0, 1, 2, 4]  # positive
    # an emoji beyond the window never leads
    assert emoji_suggest.lead_with_feeling(score[:1], np.array([-0.5]), polarity, window=2).tolist() == [
        [0, 1, 2, 3, 4]
    ]
    assert emoji_suggest.lead_with_feeling(score[:1], np.array([-0.5]), polarity, window=2, length=3).shape == (1, 3)


def test_a_face_the_message_names_keeps_first_place_when_the_feeling_is_strong():
    score = np.array([[5.0, 4.0, 3.0, 2.0, 1.0]] * 5)
    polarity = np.array([0.1, 0.7, -0.6, 0.5, -0.9])  # the best emoji is of faint good polarity (as 😂 is)
    named = np.zeros_like(score)
    named[:, 0] = 1.0  # every message names it ("lol" names 😂)
    named[4, 0] = 0.0  # but the last
    feeling = np.array([1.5, 0.5, -1.5, 1.0, 1.5])
    order = emoji_suggest.lead_with_feeling(score, feeling, polarity, named=named)
    assert order[0].tolist() == [0, 1, 2, 3, 4]  # strong good feeling, a good face it names: it stays first
    assert order[1].tolist() == [1, 0, 2, 3, 4]  # a feeling under NAMED_LEAD_FEELING: the clear good face leads
    assert order[2].tolist() == [2, 0, 1, 3, 4]  # a bad feeling: a good face never stays first, named or not
    assert order[3].tolist() == [1, 0, 2, 3, 4]  # the limit itself is not beyond it
    assert order[4].tolist() == [1, 0, 2, 3, 4]  # not named: the lead as before
    assert (emoji_suggest.lead_with_feeling(score, feeling, polarity) == order[[1, 1, 2, 3, 4]]).all()


def test_the_laugh_leads_an_unclear_message_only_when_it_reads_funny():
    score = np.array([[5.0, 4.0, 3.0, 2.0, 1.0]] * 5)
    polarity = np.array([0.1, 0.7, -0.6, 0.5, -0.9])  # column 0 is the laugh (faint good polarity, as 😂)
    feeling = np.array([0.1, 0.1, -0.2, 0.5, 0.1])
    funny = np.array([False, True, False, False, False])
    order = emoji_suggest.lead_with_feeling(score, feeling, polarity, laugh=0, funny=funny)
    assert order[0].tolist() == [1, 0, 2, 3, 4]  # unclear, not funny: the second leads, the laugh follows
    assert order[1].tolist() == [0, 1, 2, 3, 4]  # read as funny: the laugh stays first
    assert order[2].tolist() == [1, 0, 2, 3, 4]  # the threshold itself is unclear
    assert order[3].tolist() == [1, 0, 2, 3, 4]  # a clear feeling: the lead as before (a good face)
    assert (order[3] == emoji_suggest.lead_with_feeling(score, feeling, polarity)[3]).all()
    assert emoji_suggest.lead_with_feeling(score, feeling, polarity, laugh=3, funny=funny)[4].tolist() == [
        0,
        1,
        2,
        3,
        4,
    ]  # the laugh is not first: nothing moves
    plain = emoji_suggest.lead_with_feeling(score, feeling, polarity)
    assert plain[0].tolist() == [0, 1, 2, 3, 4]  # without a reading of funny, nothing is held back


def test_the_sense_suggester_holds_back_the_laugh_on_bad_news_it_does_not_read_as_funny(sense_suggester):
    zoo_suggester = sense_suggester  # the rule at work where its score puts 😂 first on both
    brat = "a parent at the school gate called my son a brat to his face"  # 😂 😥 😭 before
    crayons = "my toddler told the doctor that daddy eats crayons"
    parts = zoo_suggester.components([brat, crayons])
    assert np.all(np.abs(parts["feeling"]) <= emoji_suggest.LEAD_THRESHOLD)  # neither reads clearly good or bad
    assert parts["funny"].tolist() == [False, True]
    score = parts["mood"] + parts["topic"] + parts["habit"]
    laugh = zoo_suggester.table.index(emoji_suggest.LAUGH)
    assert emoji_suggest.top_columns(score, 1)[:, 0].tolist() == [laugh, laugh]  # the score alone puts 😂 first
    brat_list = [e for e, _ in zoo_suggester.suggest(brat, k=3)]
    assert brat_list[0] != "😂" and brat_list[1] == "😂", brat_list
    assert zoo_suggester.suggest(crayons, k=1)[0][0] == "😂"
    assert zoo_suggester.explain(brat, k=1)[0]["emoji"] == brat_list[0]
    assert zoo_suggester.holds_back_laughter and not zoo_suggester.with_moods(None).holds_back_laughter


def test_the_sense_suggester_leads_with_the_laugh_a_message_names(sense_suggester):
    zoo_suggester = sense_suggester
    # "lol" names 😂 and reads clearly good: the lead no longer puts a kiss from far down (1%) before it (53%)
    for message in ("lol", "haha that's hilarious", "you're so funny"):
        assert zoo_suggester.suggest(message, k=3)[0][0] == "😂", message
        assert zoo_suggester.explain(message, k=1)[0]["emoji"] == "😂", message
    # a grievance that names a laugh reads as weak feeling (+0.6 at most): no laughing face first
    assert zoo_suggester.suggest("the movers dropped my piano down the stairs and laughed", k=1)[0][0] != "😂"


def test_the_zoo_default_laughs_where_a_message_is_funny_and_not_at_bad_news(zoo_suggester):
    # the words reader's moods part and its share of the feeling: the brat gets no laughing face at all (the sense
    # suggester's score put 😂 first), the crayons a face of good feeling first; a message that names a laugh leads
    # with a laughing face ("lol" names 😆 and 😂 alike)
    laughing = {"😂", "😆", "🤣", "😹"}
    brat = "a parent at the school gate called my son a brat to his face"
    crayons = "my toddler told the doctor that daddy eats crayons"
    assert not laughing & {e for e, _ in zoo_suggester.suggest(brat, k=3)}
    first = zoo_suggester.suggest(crayons, k=1)[0][0]
    assert zoo_suggester.table.lead_polarity[zoo_suggester.table.index(first)] > 0, first
    for message in ("lol", "haha that's hilarious", "you're so funny"):
        assert zoo_suggester.suggest(message, k=1)[0][0] in laughing, message
    assert zoo_suggester.suggest("the movers dropped my piano down the stairs and laughed", k=1)[0][0] not in laughing
    # where its score puts 😂 first on a chat line of unclear feeling, the laugh rule still reads the sense reader
    held, kept = "Oh whoops", "yikes sorry lol"
    parts = zoo_suggester.components([held, kept])
    assert np.all(np.abs(parts["feeling"]) <= emoji_suggest.LEAD_THRESHOLD) and parts["funny"].tolist() == [False, True]
    laugh = zoo_suggester.table.index(emoji_suggest.LAUGH)
    score = parts["mood"] + parts["topic"] + parts["habit"]
    assert emoji_suggest.top_columns(score, 1)[:, 0].tolist() == [laugh, laugh]
    assert [e for e, _ in zoo_suggester.suggest(held, k=2)][1] == "😂" and zoo_suggester.suggest(kept, k=1)[0][
        0
    ] == "😂"


class _Model:
    """A stand-in sentiment model: 'positive' if the prepared text has 'love', 'negative' if 'hate'."""

    def __call__(self, texts, training=False):
        import tensorflow as tf

        hate = tf.strings.regex_full_match(texts, r".*\bhate\b.*")[:, None]
        love = tf.strings.regex_full_match(texts, r".*\blove\b.*")[:, None]
        rows = tf.where(hate, [[0.8, 0.1, 0.1]], tf.where(love, [[0.1, 0.1, 0.8]], [[0.3, 0.4, 0.3]]))
        return tf.cast(rows, "float32")


@pytest.fixture(scope="module")
def suggester(table, matcher):
    return EmojiSuggester(_Model(), table, matcher, {"mood": 1.0, "topic": 3.0, "habit": 1.0, "gate": 2.0})


class _Moods:
    """A stand-in reader of everyday moods: no lean towards any mood."""

    label = "a stand-in reader"
    moods = list(emoji_data.emoji_moods())

    def probabilities(self, texts):
        return np.full((len(texts), len(self.moods)), 1 / len(self.moods))

    def polarity(self, probabilities):
        return np.zeros(len(probabilities))


def test_beside_a_reader_of_moods_the_tweets_classifier_runs_only_with_a_weight(suggester, table):
    assert suggester.reads_tweets  # no reader of moods: the classifier reads every message
    reading = suggester.with_reader_moods(_Moods(), {"mood": 0.0})
    assert not reading.reads_tweets and reading.with_weights(mood=0.5).reads_tweets
    parts = reading.features(["i love it", "i hate it 😭"])
    np.testing.assert_allclose(parts["probabilities"][0], 1 / 3)  # no reading, no emoji: no lean
    np.testing.assert_allclose(parts["probabilities"][1], table.profiles[table.index("😭")])  # its emoji alone
    # the feeling keeps the lexicon's valence (no reactions model here, the stand-in reader reads no polarity)
    valence = emoji_suggest.message_valence([sentiment.prepare("i love it")], reading.lexicon)[0]
    assert valence > 0 and parts["feeling"][0] == pytest.approx(valence)
    assert reading.sentiment(["i love it"])[0].argmax() == 2  # sentiment() always asks the classifier
    # a personal prior brings the weights learned with the classifier, which give it a weight
    personal = reading._copy(personal_counts={"😂": 3.0}, personal_weights={"mood": 0.2})
    assert personal.reads_tweets and personal.features(["i love it"])["probabilities"][0].argmax() == 2


def test_the_suggesters_products_run_on_one_blas_thread_and_leave_numpy_as_it_was():
    from threadpoolctl import threadpool_info

    def threads():
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

    before = threads()
    assert before, "NumPy should report its BLAS library"
    with emoji_suggest.one_blas_thread():  # helpers.setup's, as the suggester uses it
        assert threads() == [1] * len(before)
    assert threads() == before


def test_suggester_uses_mood_topic_and_emoji(suggester, table):
    love, hate = suggester.suggest("I love this", k=5), suggester.suggest("I hate this", k=5)
    assert len(love) == 5 and all(isinstance(e, str) and 0 < p <= 1 for e, p in love)
    assert [p for _, p in love[1:]] == sorted((p for _, p in love[1:]), reverse=True)  # after the feeling's lead
    positive_share = lambda found: np.mean([table.profiles[table.index(e)][2] for e, _ in found])  # noqa: E731
    assert positive_share(love) > positive_share(hate)  # happier emoji for the happier message
    assert suggester.suggest("pizzaish", k=3)[0][0] == "🍕"  # the topic term
    shown = suggester.sentiment(["😭😭😭", "plain words"])
    assert shown[0, 0] > shown[1, 0]  # emoji in the message are evidence


@pytest.mark.parametrize(
    "message",
    ["😂", "http://x.y/z @bob", "Привет, как дела?", "🙂" * 5000, "a" * 100_000, "\u200b x", "42", "hi \udcff there"],
)
def test_suggester_never_crashes_on_odd_messages(suggester, message):
    found = suggester.suggest(message, k=3)
    assert len(found) == 3 and len({e for e, _ in found}) == 3


def test_a_chat_prior_shifts_the_reading_of_every_message(suggester):
    messages = ["I hate this", "plain words", "I love this"]
    chatty = suggester.with_chat_prior([0.1, 0.8, 0.1])
    assert suggester.chat_prior is None and chatty.chat_prior.tolist() == [0.1, 0.8, 0.1]
    before, after = suggester.sentiment(messages), chatty.sentiment(messages)
    assert after == pytest.approx(sentiment.shift_prior(before, [0.1, 0.8, 0.1]))
    assert (after[:, 1] > before[:, 1]).all() and after[0].argmax() == 0  # more neutral; "hate" is still negative
    assert chatty.with_weights(mood=2.0).chat_prior is not None  # copies keep it
    assert chatty.with_chat_prior(None).sentiment(messages) == pytest.approx(before)
    for bad in ([0.5, 0.5], [0.0, 0.5, 0.5], [[0.2, 0.6, 0.2]]):
        with pytest.raises(ValueError, match="chat_prior"):
            suggester.with_chat_prior(bad)


def test_suggester_rejects_bad_input(suggester):
    for empty in ("", "   ", "\u200b\u200b"):
        with pytest.raises(emoji_suggest.EmptyMessage):
            suggester.suggest(empty)
    with pytest.raises(TypeError):
        suggester.suggest(None)
    with pytest.raises(TypeError):
        suggester.components("one string")
    for k in (0, -1, emoji_suggest.MAX_K + 1, 2.5, True):
        with pytest.raises(ValueError, match="k must be"):
            suggester.suggest("hi", k=k)
    assert suggester.suggest_batch([], k=3) == []


def test_personal_prior_changes_suggestions(suggester, table):
    rare = table.emoji[int(np.argmin(table.occurrences))]
    plain = [e for e, _ in suggester.suggest("42", k=3)]
    fan = suggester.with_prior({rare: 500})
    assert fan.suggest("42", k=1)[0][0] == rare and rare not in plain
    assert "500 uses" in repr(fan)
    # a personal prior brings its own weights; without one they are not used
    regime = EmojiSuggester(_Model(), table, suggester.matcher, suggester.weights, personal_weights={"mood": 9.0})
    assert regime.active_weights["mood"] == suggester.weights["mood"]
    assert regime.with_prior({rare: 5}).active_weights["mood"] == 9.0
    assert regime.with_weights(mood=2.0).with_prior({rare: 5}).active_weights["mood"] == 2.0
    plain = suggester.in_score_order()
    assert not plain.feeling_first and suggester.feeling_first
    love = [p for _, p in plain.suggest("I love this", k=5)]
    assert love == sorted(love, reverse=True)  # score order: probabilities fall


def test_explain_adds_up_to_the_score(suggester):
    explained = suggester.explain("I love pizza", k=4)
    plain = suggester.suggest("I love pizza", k=4)
    assert [e["emoji"] for e in explained] == [e for e, _ in plain]
    assert [e["probability"] for e in explained] == pytest.approx([p for _, p in plain])
    parts = suggester.components(["I love pizza"])
    for row in explained:
        j = suggester.table.index(row["emoji"])
        assert row["mood"] == pytest.approx(parts["mood"][0, j], abs=1e-4) and row["name"]
        assert row["topic"] == pytest.approx(parts["topic"][0, j], abs=1e-4)
    assert suggester.explain_batch([], k=2) == []
    with pytest.raises(ValueError, match="unknown weights"):
        EmojiSuggester(_Model(), suggester.table, None, {"name_weight": 1.0})
    assert suggester.with_weights(topic=0.0).suggest("pizzaish", k=1)[0][0] != "🍕"


def test_a_message_of_emoji_alone_gets_its_own_emoji_and_their_kin(table, matcher):
    # "😭" alone used to get whatever the text readers made of no words (😆 😂 😊 for every such message)
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(len(table), 50))
    crying, sad, joy = table.index("😭"), table.index("😢"), table.index("😂")
    vectors[sad] = vectors[crying] + 0.1 * rng.normal(size=50)  # 😢 is 😭's nearest neighbour
    kin = TopicMatcher(table, matcher.kv, vectors)
    kin.mean, kin.std = matcher.mean, matcher.std
    suggester = EmojiSuggester(_Model(), table, kin, {"mood": 1.0, "topic": 3.0, "habit": 1.0, "gate": 2.0})
    assert [e for e, _ in suggester.suggest("😭", k=2)] == ["😭", "😢"]
    assert [e for e, _ in suggester.suggest("😭 😂😂!!", k=2)] == ["😂", "😭"]  # the most repeated first
    assert emoji_data.wordless("😭 😂😂!!") and not emoji_data.wordless("😭 so sad")
    assert table.emoji_in("👍🏽 🙏🏾") == [table.index("👍"), table.index("🙏")]  # skin tones: the emoji itself
    with_words = suggester.components(["😭 so sad"])
    assert with_words["topic"][0, crying] < emoji_suggest.ECHO_SCALE  # words: the usual reading
    explained, parts = suggester.explain("😭", k=3), suggester.components(["😭"])
    for row in explained:  # the parts still add up to the score
        j = table.index(row["emoji"])
        assert row["topic"] == pytest.approx(parts["topic"][0, j], abs=1e-4)
        assert row["mood"] == pytest.approx(parts["mood"][0, j], abs=1e-4)
    assert parts["feeling"][0] == 0  # feeling first leaves it alone
    scores = emoji_suggest.echo_scores([joy, joy, crying], len(table), None)  # no vectors: only its own emoji
    assert scores[joy] > scores[crying] > 0 and np.count_nonzero(scores) == 2


def test_fit_weights_learns_what_predicts_the_label():
    rng = np.random.default_rng(0)
    mood = rng.normal(size=(200, 6))
    labels = [[int(np.argmax(row))] for row in mood]  # the mood feature decides
    features = {"mood": mood, "topic": rng.normal(size=(200, 6)), "habit": np.zeros((200, 6))}
    mask = emoji_suggest.acceptable_mask(labels, 6)
    weights = emoji_suggest.fit_weights([(features, mask, 1.0)])
    assert weights["mood"] > 3 * weights["topic"] and 0 <= weights["habit"] <= emoji_suggest.MAX_HABIT
    assert "personal" not in weights  # no set informs it
    held = emoji_suggest.fit_weights([(features, mask, 1.0)], fixed={"mood": 0.5})
    assert "mood" not in held and held["topic"] >= 0


def test_the_weights_loss_gives_its_exact_gradient():
    rng = np.random.default_rng(1)
    features = {key: rng.normal(size=(30, 8)) for key in ("mood", "topic", "keyword", "habit")}
    mask = emoji_suggest.acceptable_mask([[i % 8, (3 * i + 1) % 8] for i in range(30)], 8)
    other = {"mood": rng.normal(size=(12, 8)), "personal": rng.normal(size=(12, 8))}
    sets = [(features, mask, 0.7), (other, emoji_suggest.acceptable_mask([[i % 8] for i in range(12)], 8), 0.3)]
    used, fixed = ["mood", "topic", "habit", "personal"], {"keyword": 1.5}
    w = np.array([0.8, 1.9, 0.3, 0.6])
    loss, gradient = emoji_suggest.weights_loss(w, sets, used, fixed)
    numeric = approx_fprime(w, lambda v: emoji_suggest.weights_loss(v, sets, used, fixed)[0], 1e-6)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-4, atol=1e-6)
    # the loss itself: -log of the acceptable emoji's softmax share, the sets weighed by their shares
    score = 0.8 * features["mood"] + 1.9 * features["topic"] + 1.5 * features["keyword"] + 0.3 * features["habit"]
    first = np.mean(logsumexp(score, axis=1) - logsumexp(score, axis=1, b=mask))
    second_score, second_mask = 0.8 * other["mood"] + 0.6 * other["personal"], sets[1][1]
    second = np.mean(logsumexp(second_score, axis=1) - logsumexp(second_score, axis=1, b=second_mask))
    assert loss == pytest.approx(0.7 * first + 0.3 * second)
    # acceptable emoji that score a thousand below the best one: still a finite loss, logsumexp's, and its gradient
    far = {"mood": np.where(mask, -1000.0, 0.0) + rng.normal(size=mask.shape)}
    loss, gradient = emoji_suggest.weights_loss([1.0], [(far, mask, 1.0)], ["mood"], {})
    expected = np.mean(logsumexp(far["mood"], axis=1) - logsumexp(far["mood"], axis=1, b=mask))
    assert np.isfinite(gradient).all() and loss == pytest.approx(expected)
    # a message with no acceptable emoji has no finite loss: fit_weights says which, instead of stopping on NaN
    empty = mask.copy()
    empty[2] = False
    with pytest.raises(ValueError, match=r"set 1 has 1 message\(s\) without an acceptable emoji \(first: row 2\)"):
        emoji_suggest.fit_weights([(far, empty, 1.0)])


def test_evaluate_moods_cross_fits_the_weights(suggester):
    moods = {
        "love": {"sentiment": "positive", "emoji": ["❤", "😍"]},
        "angry": {"sentiment": "negative", "emoji": ["😡", "😠"]},
    }
    rows = [{"text": f"i love it {i}", "mood": "love", "emoji": []} for i in range(10)] + [
        {"text": f"i hate it {i}", "mood": "angry", "emoji": ["💢"]} for i in range(10)
    ]
    report = emoji_suggest.evaluate_moods(suggester, rows, moods)
    assert report["messages"] == 20 and 0 <= report["top3"] <= 1 and len(report["weights"]) == 5
    assert report["negative"] == 10 and report["clear"] == 20 and len(report["suggestions"][0]) == 3
    assert set(report["per_mood"]) == {"love", "angry"}
    # a part of a run summarised on its own (bench_emoji's per-set rows): all of it gives the report back
    summary = emoji_suggest.mood_summary(suggester.table, rows, report["suggestions"], report["hits"], moods)
    assert summary == {key: value for key, value in report.items() if key != "weights"}
    half = emoji_suggest.mood_summary(
        suggester.table, rows[10:], report["suggestions"][10:], report["hits"][10:], moods
    )
    assert (
        half["messages"] == 10 and half["negative"] == 10 and half["per_mood"] == {"angry": report["per_mood"]["angry"]}
    )
    own = emoji_suggest.evaluate_moods(suggester, rows, moods, fit=False)
    assert own["weights"] == [] and own["top3"] >= 0.5  # love -> hearts, hate -> angry faces
    polarity = emoji_suggest.emoji_polarity(suggester.table, moods)
    assert polarity[suggester.table.index("😠")] == "negative" and polarity[suggester.table.index("😍")] == "positive"
    # the wrong-way firsts, counted from the suggestions themselves
    first = [polarity[suggester.table.index(top[0])] for top in own["suggestions"]]
    assert own["positive_first_negative"] == sum(f == "positive" for f in first[10:])
    assert own["negative_first_positive"] == sum(f == "negative" for f in first[:10])
    assert own["positive_first_negative"] + own["negative_first_positive"] == round((1 - own["agreement"]) * 20) - sum(
        f == "neutral" for f in first
    )


def test_evaluate_emoticons_cross_fits_the_prior(suggester):
    messages = [{"text": "i love you", "emoji": ["😊"], "conversation": f"c{i}"} for i in range(40)] + [
        {"text": "i hate it", "emoji": ["😞"], "conversation": f"d{i}"} for i in range(10)
    ]
    report = emoji_suggest.evaluate_emoticons(suggester, messages, bootstrap=50)
    rows = report["rows"]
    assert report["messages"] == 50 and set(report["candidates"]) == set(emoji_data.emoticon_table().values())
    assert rows["majority"]["top1"] == pytest.approx(0.8)  # 😊 is the other folds' favourite everywhere
    assert rows["mood only"]["top3"] >= rows["majority"]["top3"]
    assert set(rows) == {"majority", "mood only", "topic only", "suggester", "everyday weights", "ranking prior"}
    low, high = report["top3_gain_ci"]
    assert low <= report["top3_gain"] <= high
    # in plain score order the everyday-weights row is exactly its score's top 3 (no feeling first)
    plain = emoji_suggest.evaluate_emoticons(suggester.in_score_order(), messages, bootstrap=50)["rows"]
    found = emoji_suggest.emoticon_features(suggester, messages)
    score = emoji_suggest.weighted_score(found["features"], suggester.weights)
    labels = found["labels"]
    assert plain["everyday weights"]["top3"] == pytest.approx(emoji_suggest.top_k_accuracy(score, labels, 3))


def test_chitchat_emoticon_messages():
    messages = emoji_data.chitchat_emoticon_messages(max_conversations=300)
    assert messages and all(m["conversation"] and m["sender"] and m["emoji"] for m in messages)
    assert all(e not in m["text"].split() for m in messages for e in emoji_data.emoticon_table())


# --------------------------------------------------------------------------- images
def test_twemoji_pictures_and_vae():
    from helpers import emoji_images

    assert emoji_images.twemoji_file("😂").endswith("1f602.png")
    assert emoji_images.twemoji_file("❤") and emoji_images.twemoji_file("❤️")
    assert emoji_images.twemoji_file("x") is None
    images = emoji_images.load_images(["😂", "🍕", "❤"], size=16)
    assert images.shape == (3, 16, 16, 3) and 0 <= images.min() and images.max() <= 1
    assert images[:, 0, 0].min() > 0.95  # transparent corners become white
    with pytest.raises(KeyError, match="no Twemoji"):
        emoji_images.load_images(["x"])
    vae, history = emoji_images.train_vae(np.repeat(images, 8, axis=0), epochs=2, batch_size=8, latent_dim=4)
    assert len(history) == 2 and np.isfinite(history[-1]["loss"])
    codes = emoji_images.encode(vae, images)
    assert codes.shape == (3, 4)
    assert emoji_images.decode(vae, codes).shape == images.shape
    np.testing.assert_allclose(emoji_images.encode(vae, images), codes)  # no sampling outside training


def test_suggest_command_line():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "helpers.emoji_suggest", "suggest", "-k", "3", "pizza tonight?", "  "],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr  # the empty message is a mistake: named, and the status says so
    lines = done.stdout.strip().splitlines()  # while every other message is still answered
    assert len(lines) == 1 and lines[0].endswith("\tpizza tonight?")
    assert len(lines[0].split("\t")[0].split()) == 3
    assert "error: the message is empty" in done.stderr
    assert "E0000" not in done.stderr and "oneDNN" not in done.stderr  # no native TensorFlow notes


@pytest.mark.parametrize("option", ["--reader", "--student"])
def test_suggest_command_line_with_a_mood_reader(option):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "helpers.emoji_suggest", "suggest", option, "-k", "3", "my car broke down again"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    emoji, message = done.stdout.strip().split("\t")
    assert message == "my car broke down again" and len(emoji.split()) == 3
    negative = set(emoji_data.emoji_moods()["sad"]["emoji"]) | set(emoji_data.emoji_moods()["angry"]["emoji"])
    assert emoji.split()[0] in negative, emoji  # bad news leads with a sad or cross face
    # quiet: no native TensorFlow notes, no warnings; the first run on a machine shows LiteRT converting the student
    assert not litert.PROGRESS.sub("", done.stderr).strip(), done.stderr[-2000:]


def test_reactions_model_twin_and_fast_path_agree(tmp_path):
    from helpers import reactions

    texts = [
        "oh no my car broke down",
        "congrats on the new job",
        "so sorry to hear that",
        "yay we won",
        "my phone died and i missed the bus",
        "happy birthday have a great day",
    ] * 3
    labels = np.array([0, 1, 0, 1, 0, 1] * 3)
    vectorizer, classifier = reactions.fit_reactions([reactions.reaction_text(t) for t in texts], labels, min_df=1)
    twin = reactions.keras_twin(vectorizer, classifier)
    fast = reactions.Reactions(twin)
    # an n-gram twice, a message with no known word, one with no word at all
    probe = ["my car broke down again", "we won the job", "zzz qqq", "!!", "Congrats, Sorry!", "so sorry so sorry yay"]
    prepared = [reactions.reaction_text(t) for t in probe]
    expected = 2 * classifier.predict_proba(vectorizer.transform(prepared))[:, 1] - 1
    keras_out = 2 * np.asarray(twin(np.asarray(prepared, dtype=object)))[:, 0] - 1
    np.testing.assert_allclose(fast.good_news(probe), expected, atol=1e-6)
    np.testing.assert_allclose(keras_out, expected, atol=1e-6)
    assert fast.good_news(probe)[0] < 0 < fast.good_news(probe)[1]
    assert reactions.reaction_text("Hello, WORLD! a b") == "hello world"
    # the suggester hands over the messages it already prepared: the same reading, one tokenization
    from helpers.sentiment import prepare

    np.testing.assert_array_equal(fast.good_news(probe, [prepare(t) for t in probe]), fast.good_news(probe))
    with pytest.raises(ValueError, match="6 texts but 1 prepared"):
        fast.good_news(probe, ["one"])


def test_top_columns_is_the_stable_argsort_cut_to_k():
    rng = np.random.default_rng(0)
    for trial in range(200):
        rows, columns = rng.integers(1, 20), rng.integers(1, 80)
        k = int(rng.integers(1, columns + 3))
        # half the trials with many ties (small integers), where a plain argpartition would pick arbitrarily
        score = rng.integers(0, 4, (rows, columns)).astype(float) if trial % 2 else rng.normal(size=(rows, columns))
        expected = np.argsort(-score, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(emoji_suggest.top_columns(score, k), expected)


def test_the_reaction_term_moves_the_mood_and_the_feeling(zoo_suggester):
    # the zoo's fitted weight of the term is 0 since the everyday moods part came (it tells bad news too); the
    # reading still leads the feeling, and any weight moves the mood
    suggester = zoo_suggester.with_weights(reaction=1.0)
    assert suggester.reactions is not None
    without = suggester.with_weights(reaction=0.0)
    message = ["someone scratched my car"]
    parts = suggester.features(message)
    reading = suggester.reactions.good_news(message)[0]
    assert reading < 0  # bad news, though no word of it is in VADER's lexicon
    np.testing.assert_allclose(
        parts["reaction"][0], emoji_suggest.valence_term(np.array([reading]), suggester.table)[0]
    )
    assert not np.allclose(suggester.components(message)["mood"], without.components(message)["mood"])
    no_reader = suggester.with_reactions(None).features(message)
    # the words reader's share of the feeling reads the reaction too: compare the feeling without it
    own, other = (p["feeling"] - p["reader_feeling"] for p in (parts, no_reader))
    np.testing.assert_allclose(own - other, [reading])


def test_only_faces_and_hearts_lead_with_a_feeling(table):
    expressive = dict(zip(table.emoji, table.expressive))
    assert expressive["😢"] and expressive["💔"] and expressive["😂"]
    assert not expressive["⛹️"] and not expressive["⏳"] and not expressive["🍕"]
    lead = table.lead_polarity
    assert np.all(lead[~table.expressive] == 0)
    np.testing.assert_allclose(lead[table.expressive], table.polarity[table.expressive])


def test_the_zoo_suggester_reads_its_lstm_up_to_the_longest_message(zoo_suggester):
    suggester = zoo_suggester
    assert sentiment._masked_reader(suggester.model.get_layer("lstm")) is not None
    texts = np.asarray([sentiment.prepare(t) for t in ("hi", "my car broke down again and i am late for work")], object)
    whole = suggester.model(texts, training=False).numpy()
    assert np.abs(suggester._predict(texts).numpy() - whole).max() < 1e-6


def test_the_later_sets_are_every_set_no_suggester_learned_from_in_the_order_written():
    moods = emoji_data.emoji_moods()
    later = emoji_data.later_messages(moods)
    names = [
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
    ]
    assert list(later) == names
    assert later["eleventh"] == emoji_data.eleventh_messages(moods) and later["twelfth"] == emoji_data.twelfth_messages(
        moods
    )
    assert later["thirteenth"] == emoji_data.thirteenth_messages(moods)
    assert later["fourteenth"] == emoji_data.fourteenth_messages(moods)
    assert later["fifteenth"] == emoji_data.fifteenth_messages(moods)
    assert later["sixteenth"] == emoji_data.sixteenth_messages(moods)
    assert later["seventeenth"] == emoji_data.seventeenth_messages(moods)
    learned = {file for _, file in emoji_data.TRAINING_SETS}
    assert not learned & {file for _, file in emoji_data.LATER_SETS}, "a set is both learned from and a later set"


def test_later_set_metrics_name_each_set_and_measure(suggester):
    metrics = emoji_suggest.later_set_metrics(suggester, prefix="x_")
    names = [name for name, _ in emoji_data.LATER_SETS]
    assert sorted(metrics) == sorted(
        f"x_{measure}_{name}" for name in names for measure in ("top3", "agreement", "joy_first_on_sad_or_angry")
    )
    assert all(0 <= metrics[f"x_top3_{name}"] <= 1 and 0 <= metrics[f"x_agreement_{name}"] <= 1 for name in names)
    assert all(0 <= metrics[f"x_joy_first_on_sad_or_angry_{name}"] <= 20 for name in names)


def test_measuring_the_suggester_card_again_rewrites_only_its_metrics(tmp_path, monkeypatch):
    import json
    import shutil

    from helpers import zoo

    name = emoji_suggest.ZOO_NAME
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(zoo.verify_file(f"{name}.json"), tmp_path / f"{name}.json")
    zoo.add_file(f"{name}.json", tmp_path)

    class Read:
        def features(self, texts):
            return {"sense": np.ones((len(texts), 3))}

    monkeypatch.setattr(EmojiSuggester, "from_zoo", classmethod(lambda cls, **kw: Read()))
    monkeypatch.setattr(emoji_data, "chitchat_emoticon_messages", lambda: [])
    report = {"rows": {"majority": {"top1": 0.51234, "top3": 0.8}}, "top3_gain_ci": [0.001, 0.02]}
    monkeypatch.setattr(emoji_suggest, "evaluate_emoticons", lambda s, messages: report)
    found = {"top3": 0.8, "agreement": 0.7, "joy_first_negative": 1, "per_mood": {"love": 0.5}}
    monkeypatch.setattr(emoji_suggest, "evaluate_moods", lambda s, rows, moods: found)
    monkeypatch.setattr(emoji_suggest, "mood_reader_accuracy", lambda cosines, rows, fold, moods: 0.55)
    metrics = emoji_suggest.measure_suggester_card(tmp_path)
    assert metrics == {
        "emoticon_majority_top1": 0.5123,
        "emoticon_majority_top3": 0.8,
        "emoticon_top3_gain_ci": [0.001, 0.02],
        "moods_top3_crossfitted": 0.8,
        "moods_reader_accuracy_crossfitted": 0.55,
        "moods_agreement_crossfitted": 0.7,
        "moods_joy_first_on_sad_or_angry": 1,
        "moods_top3_love": 0.5,
    }
    card = zoo.card(name, tmp_path)  # verified against the rewritten manifest
    before = json.loads(zoo.verify_file(f"{name}.json").read_text(encoding="utf-8"))
    assert card["metrics"] == metrics and "helpers.emoji_suggest measure" in card["metrics_measured"]
    kept = ("hyperparameters", "weights", "personal_weights", "emoji", "data", "reproduce", "description")
    assert all(card.get(key) == before.get(key) for key in kept)


def test_measuring_the_opt_in_cards_again_rewrites_their_metrics_and_manifest(tmp_path, monkeypatch):
    import json
    import shutil

    from helpers import everyday_moods, mood_student, zoo

    names = (everyday_moods.READER_ZOO_NAME, mood_student.ZOO_NAME)
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(zoo.verify_file(f"{name}.json"), tmp_path / f"{name}.json")
        zoo.add_file(f"{name}.json", tmp_path)
    monkeypatch.setattr(EmojiSuggester, "from_zoo", classmethod(lambda cls, **kw: kw))
    monkeypatch.setattr(emoji_suggest, "reader_metrics", lambda s: {"top3_crossfitted": 0.5, "reader": s["reader"]})
    monkeypatch.setattr(mood_student.StudentMoods, "from_zoo", classmethod(lambda cls, root=None: "student"))
    monkeypatch.setattr(mood_student, "student_metrics", lambda reader, root=None: {"read_by": reader})
    found = emoji_suggest.measure_opt_in_cards(tmp_path)
    assert found == {names[0]: {"top3_crossfitted": 0.5, "reader": True}, names[1]: {"read_by": "student"}}
    for name in names:
        card = zoo.card(name, tmp_path)  # verified against the rewritten manifest
        before = json.loads(zoo.verify_file(f"{name}.json").read_text(encoding="utf-8"))
        assert card["metrics"] == found[name] and "helpers.emoji_suggest measure" in card["metrics_measured"]
        assert card["hyperparameters"] == before["hyperparameters"] and card["file"] == before["file"]
