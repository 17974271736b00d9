"""The reply-kinds model (helpers.reply_kinds): openings, the Keras twin and the fast path, and the bot's kind term."""

import numpy as np
import pytest

from helpers.reactions import keras_twin
from helpers.reply_kinds import OTHER, ReplyKinds, fit_kinds, kinds_of, opening


def test_a_reply_opens_with_its_first_two_words_or_its_first_word():
    kinds = {"i like", "oh", "it was"}
    assert opening("i like cats".split(), kinds) == "i like"
    assert opening(", oh ! nice".split(), kinds) == "oh"  # punctuation is skipped
    assert opening("it , was fun".split(), kinds) == "it was"
    assert opening("i love cats".split(), kinds) == OTHER  # "i" is not a kind of its own here
    assert opening([], kinds) == OTHER and opening("! ?".split(), kinds) == OTHER
    replies = [r.split() for r in ["i like a", "i like b", "i am c", "oh no", "oh no", "oh ok", "yes"]]
    assert kinds_of(replies, min_count=2) == ["i", "i like", "oh", "oh no", OTHER]


def test_twin_and_fast_path_agree_with_scikit_learn():
    messages = ["what is your favorite book ?", "how was your weekend ?", "i got the job !", "do you like dogs ?"]
    labels = ["i like", "it was", "oh", "i like"]
    vectorizer, classifier = fit_kinds(messages * 4 + ["lol ok"] * 4, labels * 4 + [OTHER] * 4, max_features=1000)
    twin = keras_twin(vectorizer, classifier, output="kinds", name="reply_kinds")
    order = [str(k) for k in classifier.classes_]
    prior = {"i like": 0.4, "it was": 0.2, "oh": 0.2, OTHER: 0.2}
    fast = ReplyKinds(twin, order, [prior[k] for k in order])
    # a repeated n-gram, a message with no known n-gram, an empty one
    probe = ["what is your favorite dog ?", "job job !", "zzz qqq", "", "how was your book ?"]
    expected = classifier.predict_proba(vectorizer.transform(probe))
    np.testing.assert_allclose(fast.probabilities(probe), expected, atol=1e-6)
    np.testing.assert_allclose(np.asarray(twin(np.asarray(probe, dtype=object))), expected, atol=1e-6)
    ratios = fast.log_ratios(probe)
    np.testing.assert_allclose(ratios, np.log(expected) - np.log([prior[k] for k in order]), atol=1e-5)
    assert order[int(np.argmax(ratios[0]))] == "i like" and order[int(np.argmax(ratios[1]))] == "oh"
    ids = fast.kind_ids([["it", "was", "fun"], ["hmm"], ["i", "like", "it"]])
    assert [order[i] for i in ids] == ["it was", OTHER, "i like"]
    with pytest.raises(ValueError, match="3 kinds but 4 prior shares"):
        ReplyKinds(twin, order[:3], [0.25] * 4)
    with pytest.raises(ValueError, match="the model has 4 kinds, the card names 3"):
        ReplyKinds(twin, order[:3], [0.25] * 3)
