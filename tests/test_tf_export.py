"""TF Serving export (helpers.tf_export) and your own bot in one command (helpers.your_bot)."""

import json

import numpy as np
import pytest

from helpers import chatbot, seq2seq, serve, tf_export, your_bot
from helpers.setup import check_versions

check_versions()
import tensorflow as tf  # noqa: E402

MESSAGES = [
    "how are you?",
    "What are you doing tonight??",
    "sooooo tired :( see you at 10:30...",
    "I can't wait!!! #friday @sam",
    "check https://example.com/x?y=1 now",
    "😂😂 that's hilarious",
    "lol",  # a face the message names keeps first place (emoji_suggest.NAMED_LEAD_FEELING)
    "😭😭",  # emoji alone: its own emoji and their neighbours
    "🎉!!",
    "Ça va? très bien",
    "well-known e-mail",
    "really . . . ok",
    "   spaced\n\nout\ttext  ",
]


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
    messages = MESSAGES + ["❤️", "👍🏽", "thx so much!!", "hbu?", "gn"]  # emoji alone and abbreviations spelled out
    replies = [r.decode() for r in served.serve(tf.constant(messages)).numpy()]
    assert replies == chatbot.ChatBot.from_zoo().replies(messages, method="greedy")  # the export decodes greedily
    signature = served.signatures["serving_default"]  # what TF Serving's REST API calls
    out = signature(messages=tf.constant(["hi"]))
    assert list(out.values())[0].dtype == tf.string


def test_exported_emoji_suggester_matches(exported, zoo_suggester):
    served = tf.saved_model.load(str(exported["emoji"]))
    # a skin tone is the emoji without it in both (the graph tokenizer splits it off, TweetTokenizer does not)
    # and 😂 held back from an unclear message not read as funny, kept on one that is (emoji_suggest.LAUGH)
    held, kept = "Oh whoops", "yikes sorry lol"  # chat lines: test_emoji_suggest reads them the same way
    messages = MESSAGES + ["👍🏽", held, kept]
    out = served.serve(tf.constant(messages))
    expected = zoo_suggester.suggest_batch(messages, k=5)
    assert expected[-2][1][0] == "😂" and expected[-1][0][0] == "😂"
    for emoji, scores, want in zip(out["emoji"].numpy(), out["scores"].numpy(), expected):
        assert [e.decode() for e in emoji] == [e for e, _ in want]
        np.testing.assert_allclose(scores, [s for _, s in want], rtol=1e-3)


def test_exported_emoji_suggester_keeps_plain_score_order(tmp_path, zoo_suggester):
    plain = zoo_suggester.in_score_order()
    tf_export.emoji_module(plain, k=5).write_out(str(tmp_path / "plain"), verbose=False)
    served = tf.saved_model.load(str(tmp_path / "plain"))  # kept: its variables live as long as it does
    out = served.serve(tf.constant(MESSAGES))
    expected = plain.suggest_batch(MESSAGES, k=5)
    for emoji, want in zip(out["emoji"].numpy(), expected):
        assert [e.decode() for e in emoji] == [e for e, _ in want]


def test_your_bot_from_the_example_exports(tmp_path):
    lines = []
    folder = your_bot.train_your_bot(
        ["data/examples"], "Sam Rivera", out=tmp_path / "bot", minutes=0.05, progress=lines.append
    )
    assert any("pairs" in line for line in lines) and any("notices and placeholders" in line for line in lines)
    card = json.loads((folder / "bot.json").read_text())
    assert card["data"]["pairs"] >= your_bot.MIN_PAIRS and card["reproduce"].startswith("python -m helpers.serve bot")
    assert "Sam" not in json.dumps(card["data"])  # the card keeps counts and a hash, not your messages
    assert card["imitates"] == "Sam Rivera"  # the chat page greets you with your name
    about = serve.Service(serve.Settings(), serve.Models(your_bot.load_bot(folder), None, {})).about()
    assert about["name"] == "Sam Rivera" and about["initials"] == "SR" and "Sam Rivera" in about["greeting"]
    # the examples hold a few dozen pairs: too few to fine-tune, so the bot answers with Sam's own replies,
    # and one warning line says so
    assert sum("warning" in line for line in lines) == 1 and card["generator"] is None
    assert any("too few to fine-tune" in line for line in lines)
    assert not (folder / "bot.keras").exists()
    bot = your_bot.load_bot(folder)
    assert bot.decoder is None and bot.default_method == "rank"
    reply = bot.reply("are you coming tonight?")
    assert reply.strip() and reply in {seq2seq.detokenize(r.split()) for r in bot.bank}
    with pytest.raises(ValueError, match="no generator"):
        tf_export.export_all(tmp_path / "export", bot=str(folder))


def _whatsapp_chat(path, exchanges):
    """A made-up WhatsApp (Android) export: Alex asks, Sam answers, one minute apart."""
    topics = ["dogs", "pizza", "the game", "your exam", "the weekend", "hiking", "music", "the party", "work", "snow"]
    lines = []
    for i in range(exchanges):
        hour, minute = divmod(2 * i, 60)
        topic = topics[i % len(topics)]
        stamp = f"1/{1 + hour // 24}/21, {hour % 24:02d}"
        lines.append(f"{stamp}:{minute:02d} - Alex Kim: what do you think about {topic}?")
        lines.append(f"{stamp}:{minute + 1:02d} - Sam Rivera: i really like {topic} {i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_your_bot_fine_tunes_the_zoo_base(tmp_path):
    lines = []
    export = _whatsapp_chat(tmp_path / "chat.txt", 600)  # 12 blocks of 50 pairs: 250 to train on
    folder = your_bot.train_your_bot([export], "Sam Rivera", out=tmp_path / "bot", minutes=0.05, progress=lines.append)
    card = json.loads((folder / "bot.json").read_text())
    assert any(f"fine-tuning zoo/{your_bot.BASE}" in line for line in lines)
    assert not any("vocabulary (it learned English" in line for line in lines)  # English words: no warning
    assert card["vocabulary"] == chatbot.ChatBot.from_zoo(your_bot.BASE).vocabulary
    assert card["hyperparameters"]["base"] == your_bot.BASE
    assert card["data"]["train_pairs"] >= your_bot.MIN_FINE_TUNE_PAIRS
    bot = your_bot.load_bot(folder)
    assert bot.decoder is not None and bot.selector is not None and bot.style is None
    assert bot.reply("what do you think about pizza?").strip()
    assert bot.reply("what do you think about pizza?", method="greedy").strip()


def test_your_bot_warns_when_the_base_knows_few_of_your_words(tmp_path):
    lines, rows = [], []
    for i in range(300):  # Spanish: the base learned English chit-chat
        hour, minute = divmod(2 * i, 60)
        stamp = f"1/{1 + hour // 24}/21, {hour % 24:02d}"
        rows.append(f"{stamp}:{minute:02d} - Alex Kim: qué tal el examen de mañana? {i}")
        rows.append(f"{stamp}:{minute + 1:02d} - Sam Rivera: jaja bien, estoy estudiando muchísimo {i}")
    export = tmp_path / "chat.txt"
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    your_bot.train_your_bot([export], "Sam Rivera", out=tmp_path / "bot", minutes=0.02, progress=lines.append)
    assert sum("vocabulary (it learned English" in line for line in lines) == 1


def test_bot_command_line_trains_without_serving(tmp_path, capsys):
    from helpers import serve

    assert (
        serve.main(
            [
                "bot",
                "--export",
                "data/examples/whatsapp_ios.txt",
                "data/examples/telegram_chat.json",
                "--me",
                "Sam Rivera",
                "--minutes",
                "0.01",
                "--out",
                str(tmp_path),
                "--no-serve",
            ]
        )
        == 0
    )
    assert (tmp_path / "bot.json").exists() and (tmp_path / "pairs.jsonl").exists()
    assert (tmp_path / "replies.json").exists()
    last = capsys.readouterr().out.strip().splitlines()[-1]  # what to do next
    assert last.startswith("talk to it: ") and last.endswith(f"-m helpers.serve run --bot {tmp_path}"), last


def test_bot_command_line_errors_are_one_line(tmp_path, capsys):
    from helpers import serve

    assert (
        serve.main(
            [
                "bot",
                "--export",
                "data/examples/whatsapp_ios.txt",
                "--me",
                "Nobody Here",
                "--out",
                str(tmp_path),
                "--no-serve",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "Nobody Here" in err and len(err.splitlines()) == 1
    assert (
        serve.main(
            [
                "bot",
                "--export",
                str(tmp_path / "missing.txt"),
                "--me",
                "Sam Rivera",
                "--no-serve",
                "--out",
                str(tmp_path),
            ]
        )
        == 2
    )
    assert capsys.readouterr().err.startswith("error: ")


def test_your_bot_errors(tmp_path):
    with pytest.raises(LookupError):
        your_bot.train_your_bot(["data/examples/whatsapp_ios.txt"], "Nobody Here", out=tmp_path / "x", minutes=0.01)
    with pytest.raises(FileNotFoundError, match="make bot"):
        your_bot.load_bot(tmp_path)


@pytest.mark.parametrize(
    "export",
    [
        "whatsapp_android.txt",
        "whatsapp_ios.txt",
        "telegram_chat.json",
        "telegram_full_export.json",
        "messenger_html",
        "messenger",
        "telegram_html",
        "instagram",
    ],
)
def test_every_example_export_makes_a_bot(tmp_path, capsys, export):
    from helpers import serve

    assert (
        serve.main(
            [
                "bot",
                "--export",
                f"data/examples/{export}",
                "--me",
                "Sam Rivera",
                "--minutes",
                "0.01",
                "--out",
                str(tmp_path / "bot"),
                "--no-serve",
            ]
        )
        == 0
    )
    out = capsys.readouterr()
    assert "Traceback" not in out.err and (tmp_path / "bot" / "bot.json").exists()
    assert your_bot.load_bot(tmp_path / "bot").reply("are you free on saturday?").strip()


def test_bot_command_line_user_mistakes(tmp_path, capsys):
    from helpers import serve

    def error(*args):
        assert serve.main(["bot", *args, "--no-serve"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and len(err.splitlines()) == 1, err
        return err

    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\nmilk\n")
    assert "--format NAME (make bot FORMAT=NAME)" in error(
        "--export", str(notes), "--me", "Sam Rivera", "--out", str(tmp_path / "a")
    )
    assert "unknown format" in error(
        "--export",
        "data/examples/whatsapp_ios.txt",
        "--me",
        "Sam Rivera",
        "--format",
        "fax",
        "--out",
        str(tmp_path / "b"),
    )
    assert "date order" in error(
        "--export",
        "data/examples/whatsapp_ios.txt",
        "--me",
        "Sam Rivera",
        "--date-order",
        "dym",
        "--out",
        str(tmp_path / "c"),
    )
    # --format and --date-order reach the parser: a day-first reading of a month-first chat has impossible dates
    assert "no messages found" in error(
        "--export",
        "data/examples/whatsapp_android.txt",
        "--me",
        "Sam Rivera",
        "--format",
        "whatsapp",
        "--date-order",
        "dmy",
        "--out",
        str(tmp_path / "d"),
    )
    # an existing bot is not overwritten without --force
    args = [
        "bot",
        "--export",
        "data/examples/whatsapp_ios.txt",
        "--me",
        "Sam Rivera",
        "--out",
        str(tmp_path / "e"),
        "--no-serve",
    ]
    assert serve.main(args) == 0
    capsys.readouterr()
    assert "--force" in error(*args[1:-1])
    assert serve.main([*args, "--force"]) == 0


def test_default_output_folder_gets_a_new_name(tmp_path, monkeypatch):
    monkeypatch.setattr(your_bot, "default_folder", lambda: tmp_path / "your_bot")
    assert your_bot.output_folder(None) == tmp_path / "your_bot"
    (tmp_path / "your_bot").mkdir()
    (tmp_path / "your_bot" / "bot.json").write_text("{}")
    assert your_bot.output_folder(None) == tmp_path / "your_bot_2"
    assert your_bot.output_folder(None, force=True) == tmp_path / "your_bot"
    with pytest.raises(ValueError, match="--force"):
        your_bot.output_folder(tmp_path / "your_bot")


def test_busy_port_is_found_before_training(tmp_path, capsys):
    import socket

    from helpers import serve

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ValueError, match=f"127.0.0.1:{port}"):
            serve.check_port("127.0.0.1", port)
        assert (
            serve.main(
                [
                    "bot",
                    "--export",
                    "data/examples/whatsapp_ios.txt",
                    "--me",
                    "Sam Rivera",
                    "--out",
                    str(tmp_path / "bot"),
                    "--port",
                    str(port),
                ]
            )
            == 2
        )
    assert "cannot serve on" in capsys.readouterr().err
    assert not (tmp_path / "bot").exists()  # nothing was trained
