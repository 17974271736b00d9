"""TF Serving export (helpers.tf_export) and your own bot in one command (helpers.your_bot)."""

import json

import numpy as np
import pytest

from helpers import chatbot, tf_export, your_bot
from helpers.setup import check_versions

check_versions()
import tensorflow as tf  # noqa: E402

MESSAGES = ["how are you?", "What are you doing tonight??", "sooooo tired :( see you at 10:30...",
            "I can't wait!!! #friday @sam", "check https://example.com/x?y=1 now", "😂😂 that's hilarious",
            "Ça va? très bien", "well-known e-mail", "really . . . ok", "   spaced\n\nout\ttext  "]


def test_graph_tokenizer_matches_tweet_tokenizer():
    from helpers.text import tokenize

    graph = [[t.decode() for t in row] for row in tf_export.tokenize(tf.constant(MESSAGES)).to_list()]
    assert graph == [tokenize(m) for m in MESSAGES]
    assert tf_export.tokenizer_agreement(MESSAGES) == 1.0


def test_graph_tokenizer_on_real_chat_messages():
    from helpers.corpora import load_chitchat

    texts = [m.text for m in load_chitchat(max_conversations=100).messages][:1000]
    assert len(texts) >= 500
    assert tf_export.tokenizer_agreement(texts) >= 0.99


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return tf_export.export_all(tmp_path_factory.mktemp("serving"))


def test_exported_chatbot_replies_like_the_python_bot(exported):
    assert (exported["chatbot"] / "saved_model.pb").exists() and exported["chatbot"].name == "1"
    served = tf.saved_model.load(str(exported["chatbot"]))
    replies = [r.decode() for r in served.serve(tf.constant(MESSAGES)).numpy()]
    assert replies == chatbot.ChatBot.from_zoo().replies(MESSAGES, method="greedy")  # the export decodes greedily
    signature = served.signatures["serving_default"]  # what TF Serving's REST API calls
    out = signature(messages=tf.constant(["hi"]))
    assert list(out.values())[0].dtype == tf.string


def test_exported_emoji_suggester_matches(exported):
    from helpers.emoji_suggest import EmojiSuggester

    served = tf.saved_model.load(str(exported["emoji"]))
    out = served.serve(tf.constant(MESSAGES))
    expected = EmojiSuggester.from_zoo().suggest_batch(MESSAGES, k=5)
    for emoji, scores, want in zip(out["emoji"].numpy(), out["scores"].numpy(), expected):
        assert [e.decode() for e in emoji] == [e for e, _ in want]
        np.testing.assert_allclose(scores, [s for _, s in want], rtol=1e-3)


def test_your_bot_from_the_example_exports(tmp_path):
    lines = []
    folder = your_bot.train_your_bot(["data/examples"], "Sam Rivera", out=tmp_path / "bot", minutes=0.05,
                                     progress=lines.append)
    assert any("pairs" in line for line in lines) and any("very little" in line for line in lines)
    card = json.loads((folder / "bot.json").read_text())
    assert card["data"]["pairs"] >= your_bot.MIN_PAIRS and card["reproduce"].startswith("python -m helpers.serve bot")
    assert "Sam" not in json.dumps(card["data"])  # the card keeps counts and a hash, not your messages
    bot = your_bot.load_bot(folder)
    assert bot.reply("are you coming tonight?").strip()


def test_bot_command_line_trains_without_serving(tmp_path):
    from helpers import serve

    assert serve.main(["bot", "--export", "data/examples/whatsapp_ios.txt", "data/examples/telegram_chat.json",
                       "--me", "Sam Rivera", "--minutes", "0.01", "--out", str(tmp_path), "--no-serve"]) == 0
    assert (tmp_path / "bot.keras").exists() and (tmp_path / "pairs.jsonl").exists()


def test_your_bot_errors(tmp_path):
    with pytest.raises(LookupError):
        your_bot.train_your_bot(["data/examples/whatsapp_ios.txt"], "Nobody Here", out=tmp_path / "x", minutes=0.01)
    with pytest.raises(FileNotFoundError, match="make bot"):
        your_bot.load_bot(tmp_path)
