import json

import pytest

from helpers import chats, corpora, paths, text


def test_tokenize_keeps_emoji_emoticons_contractions():
    assert text.tokenize("Can't wait :) 😂😂 sooooo good!!") == [
        "can't",
        "wait",
        ":)",
        "😂",
        "😂",
        "sooo",
        "good",
        "!",
        "!",
    ]
    assert text.tokenize("Hi\u200e  THERE", lowercase=False) == ["Hi", "THERE"]
    assert text.clean_for_training("  Hello,\n world  ") == "hello , world"


def test_slang_dictionary_is_read_without_importing_ekphrasis(tmp_path, monkeypatch):
    import sys

    monkeypatch.chdir(tmp_path)  # importing ekphrasis's dictionary module would write slangdict.pickle here
    table = text.slang_dictionary()
    assert len(table) > 4000 and "ekphrasis.dicts.noslang.slangdict" not in sys.modules
    assert table["hbu"] == ("how", "about", "you") and table["gn"] == ("good", "night")
    assert list(tmp_path.iterdir()) == []


def test_without_ekphrasis_abbreviations_are_read_as_they_are(monkeypatch):
    monkeypatch.setattr(text, "SLANG_FILE", ("no_such_package_here", "slangdict.py"))
    text.slang_dictionary.cache_clear()
    try:
        with pytest.warns(UserWarning, match="requirements-nodeps.txt.*read as they are"):
            assert text.slang_dictionary() == {}
        assert text.expand_slang(["hbu"], {"how", "about", "you"}) == ["hbu"]
    finally:
        text.slang_dictionary.cache_clear()


def test_expand_slang_spells_out_only_what_the_vocabulary_lacks():
    known = {"how", "about", "you", "good", "night", "lol", "yo", "?", "thank"}
    assert text.expand_slang(["hbu", "?"], known) == ["how", "about", "you", "?"]
    assert text.expand_slang(["gn", "lol", "yo"], known) == ["good", "night", "lol", "yo"]  # known: never touched
    assert text.expand_slang(["thx"], known) == ["thank", "you"]
    assert text.expand_slang(["thx"], known - {"thank"}) == ["thx"]  # a word of its spelling is unknown: it stays
    assert text.expand_slang(["wyd"], known) == ["wyd"]  # "what are you doing": "what" is unknown, so it stays
    assert text.expand_slang(["zzyzx"], known) == ["zzyzx"] and text.expand_slang([], known) == []


def test_length_filter():
    pairs = [{"prompt": "a b", "reply": "c"}, {"prompt": "", "reply": "x"}, {"prompt": "a " * 30, "reply": "y"}]
    kept, dropped = text.length_filter(pairs, max_tokens=20)
    assert kept == pairs[:1] and dropped == 2
    with pytest.raises(ValueError):
        text.length_filter(pairs, max_tokens=1, min_tokens=2)


def test_cornell_sample_in_its_exact_format():
    result = corpora.parse_cornell(paths.DATA / "examples" / "cornell_sample")
    assert result.messages[0] == chats.Message("m0:1", None, "CAMERON (u2)", "They do to!")
    assert "Café au lait, s'il vous plaît." in [m.text for m in result.messages]  # ISO-8859-1 read right
    assert result.skipped == {
        "malformed record": 2,
        "no text (media, sticker or empty)": 1,
        "conversation line missing from movie_lines.txt": 1,
    }
    pairs = chats.build_pairs(result.messages, None).pairs
    assert ("They do to!", "They do not!") == (pairs[0].prompt, pairs[0].reply)
    assert len(pairs) == 6


def test_cornell_missing_files(tmp_path):
    with pytest.raises(chats.ChatFormatError, match="movie_lines.txt"):
        corpora.parse_cornell(tmp_path)


def test_chatterbot_corpus():
    result = corpora.load_chatterbot()
    assert result.files == 21 and len(result.messages) > 4000
    assert {m.sender for m in result.messages} == {"speaker_a", "speaker_b"}


def test_chitchat_subset_and_default_you():
    result = corpora.load_chitchat(max_conversations=50)
    assert len({m.conversation for m in result.messages}) == 50
    assert all(m.timestamp is not None and m.text for m in result.messages)
    me = corpora.top_sender(result.messages)
    pairs = chats.build_pairs(result.messages, me).pairs
    assert pairs and all(p.reply_sender == me != p.prompt_sender for p in pairs)


def test_corpus_files_are_written_and_reused(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "GENERATED", tmp_path)
    monkeypatch.setattr(corpora, "CI_CONVERSATIONS", 30)
    info = corpora.ensure_chitchat_corpus("ci")
    files = corpora.corpus_files()
    assert info["conversations"] == 30 and info["size"] == "ci" and len(info["source_sha256"]) == 64
    assert len(files["messages"].read_text(encoding="utf-8").splitlines()) == info["messages"]
    assert len(chats.read_jsonl(files["you_pairs"])) == info["you_pairs"] > 0
    assert json.loads(files["info"].read_text())["me"] == info["me"]
    stamp = files["info"].stat().st_mtime_ns
    assert corpora.ensure_chitchat_corpus("ci") == info and files["info"].stat().st_mtime_ns == stamp


def test_token_cache_follows_the_messages_content(tmp_path, monkeypatch):
    """Notebook 01 rewrites the same messages on every run: notebook 02 must not tokenize them again."""
    files = {"messages": tmp_path / "messages.txt", "tokens": tmp_path / "tokens.txt"}
    monkeypatch.setattr(corpora, "corpus_files", lambda: files)
    files["messages"].write_text("Hello there!\nHow are you?\n", encoding="utf-8")
    expected = [text.tokenize("Hello there!"), text.tokenize("How are you?")]
    assert corpora.tokenized_messages(progress=False) == expected
    made = files["tokens"].stat().st_mtime_ns
    files["messages"].write_text("Hello there!\nHow are you?\n", encoding="utf-8")  # the same content again
    assert corpora.tokenized_messages(progress=False) == expected
    assert files["tokens"].stat().st_mtime_ns == made, "the same messages were tokenized again"
    files["messages"].write_text("Bye now\n", encoding="utf-8")  # new content: a new cache
    assert corpora.tokenized_messages(progress=False) == [text.tokenize("Bye now")]


def test_tokenize_gives_nltks_own_tokens_on_chat_and_tweets():
    """text.tokenize skips nltk's run shortening and emoticon test where they cannot change anything: the tokens must
    still be exactly those of nltk's TweetTokenizer (lowercased or not) on real chat, tweets and the edge cases."""
    from nltk.tokenize import TweetTokenizer

    from helpers import emoji_data

    edge = [
        "&amp;&amp;&amp;&amp; and &lt;3 and &#9829;&#9829;&#9829; and n&#97;&#97;&#97;&#97;h",  # entities decoded first
        "HEYYYY XD 8D D8 <3 </3 :-P ;) =] 8-) >:( :'( :D",
        "sooooo gooood!!!!! ....... ??????",
        "AAA BBB 888 ::: <<< >>> === ;;;",
        "call +1 (555) 010-2233 or 5550102233 NOW",
        "Ünïcödé ÇAPS and ß and İstanbul",
        "",
    ]
    lines = [m.text for m in corpora.load_chitchat(max_conversations=80).messages]
    tweets = [t["text"] for t in emoji_data.load_tweets()[::25]]
    texts = edge + lines + tweets
    assert len(lines) > 1000 and len(tweets) > 1000
    for lowercase in (True, False):
        nltk_own = TweetTokenizer(preserve_case=not lowercase, reduce_len=True)
        for message in texts:
            expected = [t.replace(" ", "_") for t in nltk_own.tokenize(text.normalize(message))]
            assert text.tokenize(message, lowercase=lowercase) == expected, message
