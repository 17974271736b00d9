"""The pretrained sentence encoder (all-MiniLM-L6-v2 read into Keras) and the selector's sentence channel."""

import json
from pathlib import Path

import numpy as np
import pytest

from helpers import selector, sentence_encoder
from helpers.chatbot import ChatBot, RankSettings

#: Vectors made by sentence-transformers 6.3.0 itself (PyTorch 2.13, CPU) from the same package's files, for texts
#: with capitals, accents, emoji, another script and repeated punctuation: ``SentenceTransformer(path).encode(texts,
#: normalize_embeddings=True)``. The file says which versions made it.
REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference.json").read_text(encoding="utf-8"))

MESSAGES = ["do you like dogs ?", "what is your major ?", "where are you from ?", "want to get lunch ?"]
REPLIES = ["i love dogs", "math", "utah", "sure , at noon"]


@pytest.fixture(scope="module")
def encoder():
    return sentence_encoder.load_encoder()


def test_keras_minilm_gives_the_vectors_of_sentence_transformers(encoder):
    vectors = encoder.encode(REFERENCE["texts"])
    np.testing.assert_allclose(vectors, np.array(REFERENCE["vectors"]), atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # batched with other texts (padding) or alone: the same vector
    np.testing.assert_allclose(encoder.encode(REFERENCE["texts"][:1]), vectors[:1], atol=1e-5)


def test_a_long_text_keeps_the_part_asked_for(encoder):
    config = encoder.config
    text = " ".join(["start"] + ["word"] * 200 + ["finish"])
    start, end = encoder.token_ids([text], keep="start")[0], encoder.token_ids([text], keep="end")[0]
    assert len(start) == len(end) == config.max_tokens
    finish = encoder.tokenizer.token_to_id("finish")
    first = encoder.tokenizer.token_to_id("start")
    assert start[1] == first and finish not in start  # [CLS] start word word ... [SEP]
    assert end[-2] == finish and first not in end  # [CLS] ... word word finish [SEP]
    assert start[0] == end[0] == encoder.tokenizer.token_to_id("[CLS]")
    with pytest.raises(ValueError):
        encoder.token_ids([text], keep="middle")


def test_encode_refuses_what_is_not_a_list_of_strings(encoder):
    with pytest.raises(TypeError, match="list"):
        encoder.encode("hello")
    with pytest.raises(TypeError, match="strings"):
        encoder.encode(["hello", 3])
    assert encoder.encode([]).shape == (0, encoder.config.hidden)


def test_an_untrained_head_is_plain_minilm_and_saves_safely(encoder, tmp_path):
    import keras

    head = sentence_encoder.build_sentence_head()
    channel = sentence_encoder.SentenceChannel(head, encoder)
    plain = encoder.encode(MESSAGES, keep="end") @ encoder.encode(REPLIES).T
    np.testing.assert_allclose(channel.score(MESSAGES, REPLIES), plain, atol=1e-5)
    assert (channel.score(MESSAGES, REPLIES).argmax(axis=1) == np.arange(4)).all()  # MiniLM alone gets these right
    path = tmp_path / "head.keras"
    head.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        sentence_encoder.SentenceChannel(loaded, encoder).score(MESSAGES, REPLIES), plain, atol=1e-5
    )


def test_a_trained_head_moves_the_vectors_and_the_cache_keys_on_its_weights(encoder, tmp_path, monkeypatch):
    monkeypatch.setattr(sentence_encoder, "generated", lambda *parts: tmp_path.joinpath(*parts))
    (tmp_path / "cache").mkdir()
    config = sentence_encoder.SentenceHeadConfig(hidden=32, batch_size=4)
    head = sentence_encoder.build_sentence_head(config)
    head.compile(optimizer="adam", loss=selector.InBatchSoftmax(config.scale, config.echo_negatives))
    m, r = encoder.encode(MESSAGES, keep="end"), encoder.encode(REPLIES)
    channel = sentence_encoder.SentenceChannel(head, encoder)
    before, fingerprint = channel.encode_replies_cached(REPLIES), channel.fingerprint()
    np.testing.assert_allclose(before, channel.encode_replies(REPLIES), atol=1e-6)
    assert len(list((tmp_path / "cache").iterdir())) == 1
    head.fit(selector.dataset(m, r, 4), epochs=3, verbose=0)
    assert channel.fingerprint() != fingerprint
    after = channel.encode_replies_cached(REPLIES)  # a new key: computed again, not the stale file
    np.testing.assert_allclose(after, channel.encode_replies(REPLIES), atol=1e-6)
    assert not np.allclose(after, before, atol=1e-4)
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_the_sentence_channel_takes_part_in_score_and_ranking(encoder, tmp_path, monkeypatch):
    monkeypatch.setattr(sentence_encoder, "generated", lambda *parts: tmp_path.joinpath(*parts))
    (tmp_path / "cache").mkdir()
    from helpers.setup import seed_everything

    seed_everything(0)  # the untrained dual encoder's random cosines are small beside MiniLM's, weighted 5
    lexical = selector.build_lexical(MESSAGES + REPLIES)
    small = selector.build_selector(selector.adapt_vectorizer(MESSAGES + REPLIES), selector.SelectorConfig(dim=8))
    channel = sentence_encoder.SentenceChannel(sentence_encoder.build_sentence_head(), encoder)
    plain = selector.Selector(small, selector.SelectorConfig(dim=8), lexical=lexical, lexical_weight=0.5)
    both = selector.Selector(
        small,
        selector.SelectorConfig(dim=8),
        lexical=lexical,
        lexical_weight=0.5,
        sentence=channel,
        sentence_weight=5.0,
    )
    assert both.has_sentence() and not plain.has_sentence()
    expected = plain.score(MESSAGES, REPLIES, tokenized=True) + 5.0 * channel.score(MESSAGES, REPLIES)
    np.testing.assert_allclose(both.score(MESSAGES, REPLIES, tokenized=True), expected, atol=1e-5)
    np.testing.assert_allclose(
        both.score(MESSAGES, REPLIES, tokenized=True, sentence=False), plain.score(MESSAGES, REPLIES, tokenized=True)
    )
    bot = ChatBot(None, None, 8, 6, selector=both, bank=REPLIES, settings=RankSettings(retrieved=4))
    assert bot.bank_sentence.shape == (len(REPLIES), encoder.config.hidden)
    assert [bot.reply(m) for m in ["Do you like dogs?", "where are you from?"]] == ["i love dogs", "utah"]
    for message in ("do you like dogs?", "lunch?"):
        for candidate in bot.ranked([message])[0]:  # the bank's cached vectors give what score() computes
            assert candidate.relevance == pytest.approx(float(bot.score([message], [candidate.text])[0, 0]), abs=1e-4)
    with pytest.raises(ValueError, match="sentence vectors"):
        ChatBot(None, None, 8, 6, selector=both, bank=REPLIES, bank_sentence=np.zeros((2, 384)))


def test_ranking_is_a_cascade_the_sentence_channel_scores_few_generated_candidates(encoder, tmp_path, monkeypatch):
    from helpers import seq2seq
    from helpers.setup import seed_everything

    monkeypatch.setattr(sentence_encoder, "generated", lambda *parts: tmp_path.joinpath(*parts))
    (tmp_path / "cache").mkdir()
    seed_everything(1)
    vocab = list(seq2seq.SPECIALS) + sorted({w for t in MESSAGES + REPLIES for w in t.split()})
    pairs = [{"prompt_tokens": m.split(), "reply_tokens": r.split()} for m, r in zip(MESSAGES, REPLIES)]
    generator = seq2seq.build_model(len(vocab), embedding_dim=8, units=16, dropout=0.0, learning_rate=1e-2)
    generator.fit(seq2seq.encode_pairs(pairs * 4, vocab, 8, 6).dataset(8, seed=1), epochs=3, verbose=0)
    small = selector.build_selector(selector.adapt_vectorizer(MESSAGES + REPLIES), selector.SelectorConfig(dim=8))
    channel = sentence_encoder.SentenceChannel(sentence_encoder.build_sentence_head(), encoder)
    both = selector.Selector(small, selector.SelectorConfig(dim=8), sentence=channel, sentence_weight=1.0)
    for kept in (0, 1, 3):
        settings = RankSettings(samples=6, temperature=2.0, retrieved=2, sentence_generated=kept)
        bot = ChatBot(generator, vocab, 8, 6, selector=both, bank=REPLIES, settings=settings)
        bank = {seq2seq.detokenize(r.split()) for r in REPLIES}
        for message, candidates in zip(MESSAGES, bot.ranked(MESSAGES)):
            fresh = [c for c in candidates if c.text not in bank]
            assert len(fresh) <= kept and len(candidates) >= 2  # the 2 retrieved bank replies always stay
            for candidate in candidates:
                assert candidate.relevance == pytest.approx(
                    float(bot.score([message], [candidate.text])[0, 0]), abs=1e-4
                )
    assert any(c.kind == "generated" for row in bot.ranked(MESSAGES) for c in row)


def test_training_vectors_are_cached_with_the_time_they_took(encoder, tmp_path, monkeypatch):
    from helpers import paths

    monkeypatch.setattr(paths, "generated", lambda *parts: tmp_path.joinpath(*parts))
    (tmp_path / "cache").mkdir()
    pairs = [{"prompt_tokens": m.split(), "reply_tokens": r.split()} for m, r in zip(MESSAGES, REPLIES)]
    messages, replies, seconds = selector.sentence_vectors(pairs)
    np.testing.assert_allclose(messages, encoder.encode(MESSAGES, keep="end"), atol=1e-5)
    np.testing.assert_allclose(replies, encoder.encode(REPLIES), atol=1e-5)
    again = selector.sentence_vectors(pairs)  # from the cache: the same vectors and the seconds first measured
    np.testing.assert_array_equal(again[0], messages)
    assert again[2] == seconds > 0
    assert selector.sentence_vectors(pairs[:2])[0].shape == (2, 384)  # other texts, another file
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_packing_puts_every_text_once_with_its_own_positions():
    rows = [np.array([5, 6, 7]), np.array([8]), np.array([9, 10]), np.array([11, 12, 13])]
    ids, positions, segments = sentence_encoder.pack_rows(rows)
    assert ids.shape == (3, 3)  # rows as long as the longest text; [8] fits beside [9, 10]
    for i, row in enumerate(rows):
        at = segments == i + 1
        assert at.sum() == len(row) and at.any(axis=1).sum() == 1  # whole, in one row
        np.testing.assert_array_equal(ids[at], row)
        np.testing.assert_array_equal(positions[at], np.arange(len(row)))
    assert (ids[segments == 0] == 0).all()


def test_packed_rows_give_the_vectors_of_each_text_alone(encoder):
    texts = REFERENCE["texts"] + ["hi", " ".join(["word"] * 100) + " do you like dogs ?", "yes"]
    rows = encoder.token_rows(texts, "end")
    packed = sentence_encoder.packed_minilm(encoder.model, encoder.config)
    ids, positions, segments = sentence_encoder.pack_rows(rows)
    assert ids.size < len(texts) * max(len(r) for r in rows)  # it packed something
    vectors = packed(ids, positions, segments, len(texts)).numpy()
    np.testing.assert_allclose(vectors, encoder.encode(texts, keep="end"), atol=1e-5)


def test_one_minilm_call_for_messages_and_replies_gives_the_same_vectors(encoder):
    channel = sentence_encoder.SentenceChannel(sentence_encoder.build_sentence_head(), encoder)
    long_message = " ".join(["word"] * 100) + " do you like dogs ?"
    messages, replies = MESSAGES + [long_message], REPLIES[:2]
    both = channel.encode_both(messages, replies)
    # no reply (every generated candidate was a bank reply): the function a warm-up already traced, not a new one
    alone, none = channel.encode_both(messages, [])
    assert channel._message.experimental_get_tracing_count() == 0, "a batch without replies traced another function"
    assert none.shape == (0, encoder.config.hidden)
    np.testing.assert_allclose(alone, both[0], atol=1e-5)
    np.testing.assert_allclose(both[0], channel.encode_messages(messages), atol=1e-5)
    np.testing.assert_allclose(both[1], channel.encode_replies(replies), atol=1e-5)


def test_the_terminal_chat_says_one_line_for_a_damaged_model_or_a_missing_package(monkeypatch, capsys):
    from helpers import chatbot, paths, zoo

    real_load = zoo.load

    def damaged(name, root=None, **kwargs):
        raise zoo.ZooError(f"zoo/{name}.keras does not match its checksum: restore it with git checkout")

    monkeypatch.setattr(zoo, "load", damaged)
    assert chatbot.main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: zoo/04_seq2seq/you.keras does not match its checksum: restore it with git checkout"]

    monkeypatch.setattr(zoo, "load", real_load)
    monkeypatch.setattr(sentence_encoder, "load_encoder", lambda: paths.package_file("no_such_package_here", "x"))
    assert chatbot.main([]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: the package 'no_such_package_here' is not installed") and "nodeps" in line


def test_the_selector_commands_say_one_line_for_a_damaged_model(monkeypatch, capsys):
    from helpers import zoo

    def damaged(name, root=None, **kwargs):
        raise zoo.ZooError(f"zoo/{name}.keras does not match its checksum: restore it with git checkout")

    monkeypatch.setattr(zoo, "load", damaged)
    assert selector.main(["lexical"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line == "error: zoo/04_seq2seq/selector.keras does not match its checksum: restore it with git checkout"
