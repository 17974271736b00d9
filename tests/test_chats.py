"""Parsers, pairs and the command line of helpers.chats, on the example exports and on bad input."""

import json
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from helpers import chats, paths

EXAMPLES = paths.DATA / "examples"
MESSENGER = EXAMPLES / "messenger"
ME = "Sam Rivera"
CHAT_SOURCES = [
    "messenger",
    "messenger_html",
    "whatsapp_android.txt",
    "whatsapp_ios.txt",
    "telegram_chat.json",
    "telegram_full_export.json",
]


def texts(result):
    return [m.text for m in result.messages]


# ----------------------------------------------------------------------------- formats
def test_messenger_folder_with_several_threads_and_files():
    result = chats.parse([MESSENGER])
    assert result.files == 3  # two files of one thread, one of another
    assert {m.conversation for m in result.messages} == {"inbox/alexkim_4821", "inbox/jordanlee_9137"}
    assert "haha yes, the crème brûlée one is the best" in texts(result)  # mojibake repaired
    assert "hey Sam! are you coming to the party tonight? 🎉" in texts(result)  # emoji repaired
    assert result.skipped == {"no text (media, sticker or empty)": 1, "notice: call": 1, "notice: media omitted": 1}


def test_messenger_thread_split_over_files_is_put_back_in_time_order():
    result = chats.parse([MESSENGER])
    turns = [t for t in chats.to_turns(result.messages) if t.conversation == "inbox/alexkim_4821"]
    assert [t.sender for t in turns] == ["Alex Kim", ME] * 4
    assert turns[0].text.startswith("hey Sam!") and turns[1].text == "hiii\nyes of course, what time?"


def test_fix_mojibake_leaves_correct_text_alone():
    assert chats.fix_mojibake("Jos\u00c3\u00a9") == "José"
    assert chats.fix_mojibake("José 😂") == "José 😂"
    assert chats.fix_mojibake("plain") == "plain"


def test_messenger_new_style_keys(tmp_path):
    path = tmp_path / "message_1.json"
    path.write_text(
        json.dumps(
            {
                "participants": ["A", "B"],
                "threadName": "A and B",
                "messages": [
                    {"senderName": "B", "text": "second", "timestamp": 2000, "type": "text"},
                    {"senderName": "A", "text": "first", "timestamp": 1000},
                ],
            }
        )
    )
    result = chats.parse_messenger(path)
    assert texts(result) == ["first"] and result.skipped["system message"] == 1


def test_messenger_calls_without_a_type_are_skipped(tmp_path):
    """The newer exports write a call as an ordinary record with its duration: not something anyone said."""
    path = tmp_path / "message_1.json"
    calls = [
        {"sender_name": "Alex Kim", "timestamp_ms": 3000, "content": "Alex Kim called you.", "call_duration": 62},
        {"sender_name": "Sam", "timestamp_ms": 4000, "content": "You called Alex Kim.", "call_duration": 0},
        {"sender_name": "Sam", "timestamp_ms": 5000, "content": "Llamaste a Alex Kim.", "call_duration": 5},
    ]
    said = [{"sender_name": "Alex Kim", "timestamp_ms": 1000, "content": "call me later?"}]
    path.write_text(json.dumps({"participants": [{"name": "Alex Kim"}, {"name": "Sam"}], "messages": calls + said}))
    result = chats.parse_messenger(path)
    assert texts(result) == ["call me later?"] and result.skipped["notice: call"] == 3


def test_messenger_html():
    result = chats.parse([EXAMPLES / "messenger_html"])
    assert texts(result) == [
        "are we still on for brunch saturday?",
        "yes!! 11am at the usual place",
        "great, I'll book a table 🥞",
        "can't wait <3",
    ]
    assert result.messages[0].timestamp == datetime(2020, 12, 30, 10, 5)
    assert result.skipped == {"no text (media, sticker or empty)": 1}


def test_whatsapp_android_us():
    result = chats.parse([EXAMPLES / "whatsapp_android.txt"])
    assert result.messages[0].timestamp == datetime(2020, 12, 31, 21, 2)
    assert result.messages[-1].timestamp == datetime(2021, 1, 13, 8, 15)
    assert "need a ride to the party\nit starts at 10:30\nand I'm still at work" in texts(result)
    assert result.skipped == {
        "notice: encryption notice": 1,
        "notice: group notice": 1,
        "notice: media omitted": 1,
        "notice: deleted": 1,
    }


def test_whatsapp_ios_day_first_with_direction_marks():
    result = chats.parse([EXAMPLES / "whatsapp_ios.txt"])
    assert result.messages[0] == chats.Message(
        "whatsapp_ios", datetime(2020, 12, 31, 21, 15, 42), "Jordan Lee", "are you watching the fireworks?"
    )
    assert result.messages[-1].timestamp == datetime(2021, 1, 1, 0, 1, 15)
    assert all("\u200e" not in m.text and "\u200e" not in m.sender for m in result.messages)
    assert result.skipped == {"notice: encryption notice": 1, "notice: group notice": 1, "notice: media omitted": 2}


@pytest.mark.parametrize(
    "line, order, expected",
    [
        ("12/31/20, 9:15 PM - A: hi", "auto", datetime(2020, 12, 31, 21, 15)),
        ("31/12/2020, 21:15 - A: hi", "auto", datetime(2020, 12, 31, 21, 15)),
        ("[31/12/2020, 21:15:42] A: hi", "auto", datetime(2020, 12, 31, 21, 15, 42)),
        ("[12/31/20, 9:15:42\u202fPM] A: hi", "auto", datetime(2020, 12, 31, 21, 15, 42)),
        ("31.12.20, 21:15 - A: hi", "auto", datetime(2020, 12, 31, 21, 15)),
        ("2020-12-31, 21:15 - A: hi", "auto", datetime(2020, 12, 31, 21, 15)),
        ("12/31/20, 12:05 AM - A: hi", "auto", datetime(2020, 12, 31, 0, 5)),
        ("03/04/21, 10:00 - A: hi", "auto", datetime(2021, 4, 3, 10, 0)),  # ambiguous, 24h: day-first
        ("03/04/21, 10:00 AM - A: hi", "auto", datetime(2021, 3, 4, 10, 0)),  # ambiguous, 12h: month-first
        ("03/04/21, 10:00 AM - A: hi", "dmy", datetime(2021, 4, 3, 10, 0)),
    ],
)
def test_whatsapp_date_styles(tmp_path, line, order, expected):
    path = tmp_path / "chat.txt"
    path.write_text(line + "\n", encoding="utf-8")
    [message] = chats.parse_whatsapp(path, date_order=order).messages
    assert message.timestamp == expected and message.sender == "A" and message.text == "hi"


def test_whatsapp_zip_and_utf16(tmp_path):
    archive = tmp_path / "WhatsApp Chat - Jordan.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("_chat.txt", (EXAMPLES / "whatsapp_ios.txt").read_bytes())
        zf.writestr("00000012-PHOTO.jpg", b"\xff\xd8\xff")
    assert len(chats.parse([archive]).messages) == 6
    utf16 = tmp_path / "chat16.txt"
    utf16.write_bytes((EXAMPLES / "whatsapp_android.txt").read_text(encoding="utf-8").encode("utf-16"))
    assert texts(chats.parse([utf16])) == texts(chats.parse([EXAMPLES / "whatsapp_android.txt"]))


def test_telegram_single_chat_and_full_export():
    single = chats.parse([EXAMPLES / "telegram_chat.json"])
    assert "sounds great, booking https://example.com/bistro" in texts(single)  # list of parts flattened
    assert single.skipped == {
        "system message": 1,
        "no text (media, sticker or empty)": 1,
        "no sender": 1,
        chats.FORWARDED: 1,
        "sent through an inline bot": 1,
    }
    # Sam forwards a restaurant's offer and sends a video link through @youtube between Maya's message and their
    # own reply: neither is Sam's words, so the reply is what Sam wrote
    pairs = chats.build_pairs(single.messages, ME).pairs
    assert [(p.prompt, p.reply) for p in pairs][-1] == ("perfect, see you there ❤️", "see you 😊")
    full = chats.parse([EXAMPLES / "telegram_full_export.json"])
    assert {m.conversation for m in full.messages} == {"Maya Cohen", "Climbing crew"}
    # Sam's commands to BotFather and its canned answers are nobody's way of talking: the bot chat is skipped
    assert full.skipped["chat with a bot"] == 3
    assert not any(m.text.startswith("/") for m in full.messages)


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("whatsapp_android.txt", "whatsapp"),
        ("whatsapp_ios.txt", "whatsapp"),
        ("telegram_chat.json", "telegram"),
        ("telegram_full_export.json", "telegram"),
        ("messenger/your_facebook_activity/messages/inbox/alexkim_4821/message_1.json", "messenger"),
        ("messenger_html/messages/inbox/priyanatarajan_77/message_1.html", "messenger-html"),
    ],
)
def test_detect_format(name, fmt):
    assert chats.detect_format(EXAMPLES / name) == fmt


# ----------------------------------------------------------------------------- pairs
def test_pairs_for_me_across_all_formats():
    counts = {}
    for source in ["messenger", "messenger_html", "whatsapp_android.txt", "whatsapp_ios.txt", "telegram_chat.json"]:
        result = chats.parse([EXAMPLES / source])
        counts[source] = len(chats.build_pairs(result.messages, ME).pairs)
    assert counts == {
        "messenger": 6,
        "messenger_html": 2,
        "whatsapp_android.txt": 3,
        "whatsapp_ios.txt": 3,
        "telegram_chat.json": 2,
    }


def test_pairs_merge_turns_and_respect_max_gap():
    result = chats.parse([EXAMPLES / "whatsapp_android.txt"])
    pairs = chats.build_pairs(result.messages, ME).pairs
    assert pairs[-1].prompt == "you're the best!!\nhappy new year btw :)"
    assert pairs[-1].reply == "haha thanks, a bit late\nhappy new year to you too"
    # With a maximum gap, Alex's message of 12 days earlier is a turn of its own, not part of the prompt
    gapped = chats.build_pairs(result.messages, ME, max_gap=timedelta(hours=1))
    assert [p.prompt for p in gapped.pairs][-1] == "happy new year btw :)"
    stricter = chats.build_pairs(result.messages, ME, max_gap=timedelta(minutes=20))
    assert len(stricter.pairs) == 2 and stricter.skipped == {"reply later than --max-gap-hours": 1}


def test_all_speakers_mode_pairs_every_turn():
    result = chats.parse([EXAMPLES / "whatsapp_android.txt"])
    pairs = chats.build_pairs(result.messages, None)
    assert len(pairs.pairs) == len(chats.to_turns(result.messages)) - 1
    assert pairs.skipped == {"reply that opens a conversation": 1}


def test_me_is_matched_loosely_and_unknown_me_lists_senders():
    result = chats.parse([EXAMPLES / "whatsapp_android.txt"])
    assert chats.build_pairs(result.messages, "  sam   RIVERA ").pairs
    with pytest.raises(LookupError, match=r"no sender called 'Samantha'.*'Alex Kim' \(4\).*'Sam Rivera' \(4\)"):
        chats.build_pairs(result.messages, "Samantha")


def test_anonymize():
    result = chats.parse([MESSENGER])
    pairs = chats.build_pairs(result.messages, ME, anonymize=True).pairs
    blob = json.dumps([p.__dict__ for p in pairs], ensure_ascii=False)
    for secret in ["555", "sam.rivera@example.org", "https://example.com", "Alex", "Jordan"]:
        assert secret not in blob, secret
    assert "<phone>" in blob and "<email>" in blob and "<url>" in blob and "<person>" in blob
    assert {p.prompt_sender for p in pairs} == {"person1", "person2"} and {p.reply_sender for p in pairs} == {"me"}
    scrub = chats.make_anonymizer(["Bo"])
    assert scrub("Bo and Bob, call 555-123-4567 or +44 20 7946 0958") == "<person> and Bob, call <phone> or <phone>"
    assert scrub("meet at 10:30 on 12/31") == "meet at 10:30 on 12/31"  # times and dates are not phones


# ----------------------------------------------------------------------------- bad input
def error_of(path, fmt="auto"):
    with pytest.raises(chats.ChatFormatError) as info:
        chats.parse([path], fmt=fmt)
    return str(info.value)


def test_truncated_json(tmp_path):
    path = tmp_path / "result.json"
    path.write_text((EXAMPLES / "telegram_chat.json").read_text(encoding="utf-8")[:500], encoding="utf-8")
    message = error_of(path, "telegram")
    assert message.startswith(f"{path}:") and "ends early" in message


def test_not_json(tmp_path):
    path = tmp_path / "message_1.json"
    path.write_text("{\n  'participants': nope\n}")
    assert f"{path}:2: not valid JSON" in error_of(path, "messenger")


def test_text_file_read_as_json(tmp_path):
    # a WhatsApp text export (or any other text) passed with FORMAT=telegram: not JSON at all, not a truncated one
    path = tmp_path / "chat.txt"
    path.write_text("12/31/23, 9:15 PM - Sam: hi\n", encoding="utf-8")
    message = error_of(path, "telegram")
    assert f"{path}:1: not JSON (it starts with '12/31/23, 9:15 PM - ')" in message and "--format" in message
    assert "ends early" not in message


def test_json_of_another_app(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"songs": [1, 2, 3]}))
    assert "JSON file of an unknown app" in error_of(path)
    assert "not a Messenger export" in error_of(EXAMPLES / "telegram_chat.json", "messenger")
    assert "not a Telegram export" in error_of(
        EXAMPLES / "messenger/your_facebook_activity/messages/inbox/jordanlee_9137/message_1.json", "telegram"
    )


def test_binary_garbage_and_empty(tmp_path):
    garbage = tmp_path / "chat.txt"
    garbage.write_bytes(bytes(range(256)) * 40)
    assert "binary data" in error_of(garbage)
    assert "binary data" in error_of(garbage, "whatsapp")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert error_of(empty).endswith("empty file")


def test_wrong_encoding(tmp_path):
    latin1 = tmp_path / "chat.txt"
    latin1.write_bytes("12/31/20, 9:15 PM - José: olá\n".encode("latin-1") * 5)
    message = error_of(latin1, "whatsapp")
    assert message.startswith(f"{latin1}:1: not UTF-8") and "iconv" in message
    # one bad line among good ones is a counted skip, not an error
    mixed = tmp_path / "mixed.txt"
    mixed.write_bytes(
        (EXAMPLES / "whatsapp_android.txt").read_bytes() + "1/14/21, 9:00 AM - A: olá\n".encode("latin-1")
    )
    result = chats.parse_whatsapp(mixed)
    assert result.skipped["line not UTF-8"] == 1 and len(result.messages) == 8


def test_unknown_date_format(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text("Dec 31 2020 9:15 PM - Alex: hi\nDec 31 2020 9:16 PM - Sam: hey\n")
    assert f"{path}:1: not a WhatsApp chat export" in error_of(path, "whatsapp")
    assert "cannot tell the format" in error_of(path)
    # an impossible date on one line is a counted skip
    mixed = tmp_path / "mixed.txt"
    mixed.write_text("12/31/20, 9:15 PM - A: hi\n13/13/20, 9:16 PM - B: broken date\n12/31/20, 9:17 PM - B: yo\n")
    result = chats.parse_whatsapp(mixed)
    assert texts(result) == ["hi", "yo"] and result.skipped["bad date"] == 1


def test_message_with_no_sender(tmp_path):
    path = tmp_path / "message_1.json"
    path.write_text(
        json.dumps(
            {
                "participants": [],
                "messages": [
                    {"timestamp_ms": 1, "content": "ghost"},
                    {"sender_name": "", "timestamp_ms": 2, "content": "ghost"},
                    {"sender_name": "A", "timestamp_ms": 3, "content": "real"},
                    "not a record",
                ],
            }
        )
    )
    result = chats.parse_messenger(path)
    assert texts(result) == ["real"] and result.skipped == {"no sender": 2, "malformed record": 1}


def test_ten_megabyte_single_line(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text("12/31/20, 9:15 PM - A: hi\n12/31/20, 9:16 PM - B: " + "x" * 10_000_000 + "\n")
    result = chats.parse_whatsapp(path)
    assert texts(result) == ["hi"] and result.skipped[f"text longer than {chats.MAX_TEXT_CHARS} characters"] == 1
    no_newline = tmp_path / "big.json"
    no_newline.write_text('{"messages": [], "participants": [], "x": "' + "y" * 10_000_000 + '"}')
    assert chats.parse([no_newline], fmt="messenger").messages == []


def test_zip_with_escaping_member_is_not_read(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escape.txt", "12/31/20, 9:15 PM - A: hi\n")
    assert "zip holds no .txt chat" in error_of(archive, "whatsapp")
    assert not (tmp_path.parent / "escape.txt").exists()


def test_source_files_are_never_modified(tmp_path):
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in EXAMPLES.rglob("*") if p.is_file()}
    for source in CHAT_SOURCES:
        chats.build_pairs(chats.parse([EXAMPLES / source]).messages, ME, anonymize=True)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in EXAMPLES.rglob("*") if p.is_file()}
    assert before == after


# ----------------------------------------------------------------------------- command line
def cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "helpers.chats", *map(str, args)], capture_output=True, text=True, cwd=cwd or paths.ROOT
    )


def test_cli_on_every_example(tmp_path):
    out = tmp_path / "pairs.jsonl"
    sources = [
        EXAMPLES / s
        for s in [
            "messenger",
            "messenger_html",
            "whatsapp_android.txt",
            "whatsapp_ios.txt",
            "telegram_full_export.json",
        ]
    ]
    run = cli(*sources, "--me", ME, "--out", out, "--anonymize", "--max-gap-hours", "0.25")
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 17 - 1  # 6 + 2 + 3 + 3 + 3 pairs, one WhatsApp reply came 30 minutes later
    assert all({"prompt", "reply"} <= set(line) for line in lines)
    assert run.stdout.startswith("38 messages read from 7 file(s), 16 pairs written")
    assert "1 reply later than --max-gap-hours" in run.stdout


def test_cli_unknown_me_lists_senders(tmp_path):
    run = cli(EXAMPLES / "whatsapp_ios.txt", "--me", "Nobody", "--out", tmp_path / "p.jsonl")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip() == "error: no sender called 'Nobody'; senders found: 'Jordan Lee' (3), 'Sam Rivera' (3)"


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02garbage", b'{"half": ', b"just some text\n"])
def test_cli_bad_input_is_one_line_exit_2(tmp_path, content):
    path = tmp_path / "input.json"
    path.write_bytes(content)
    run = cli(path, "--me", ME, "--out", tmp_path / "p.jsonl")
    assert run.returncode == 2
    assert run.stderr.startswith(f"error: {path}") and len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_cli_missing_path(tmp_path):
    run = cli(tmp_path / "nope.txt", "--me", ME, "--out", tmp_path / "p.jsonl")
    assert run.returncode == 2 and run.stderr.strip() == f"error: {tmp_path / 'nope.txt'}: no such file or folder"


def test_folder_skips_and_counts_files_that_are_not_chats(tmp_path):
    (tmp_path / "chat.txt").write_bytes((EXAMPLES / "whatsapp_ios.txt").read_bytes())
    (tmp_path / "notes.txt").write_text("shopping list: milk, eggs\n")
    result = chats.parse([tmp_path])
    assert len(result.messages) == 6 and result.skipped["file in folder that is not a chat"] == 1
    with pytest.raises(chats.ChatFormatError, match="cannot tell the format"):
        chats.parse([tmp_path / "notes.txt"])  # named directly, it must parse


@pytest.mark.parametrize(
    "text, folded",
    [
        ("How about yoh?\nYou", "How about you?"),  # the phone capitalised the correction; the word keeps its case
        ("i am on a lot two\ntoo", "i am on a lot too"),
        ("permanent road blocsk\nblocks", "permanent road blocks"),  # two neighbours swapped: one edit
        ("i hope it is goo!\ngood!*", "i hope it is good!"),
        ("i think there going home\n*they're", "i think they're going home"),  # a starred word fixes any word
        ("iRobot would not come true\n*should", "iRobot should not come true"),
        ("ugh\n*sigh*", "ugh\n*sigh*"),  # an action, not a correction
        ("no\nnope", "no\nnope"),
        ("i love cats\ncats", "i love cats\ncats"),
        ("2016\n2015", "2016\n2015"),
        ("und\nunder\ni like most sports", "und\nunder\ni like most sports"),  # two edits unmarked: left alone
        ("dinner at 8?\nok", "dinner at 8?\nok"),
        ("just one line", "just one line"),
    ],
)
def test_merge_corrections(text, folded):
    assert chats.merge_corrections(text) == folded


def test_pairs_fold_corrections_unless_asked_not_to():
    stamp = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    messages = [
        chats.Message("c", stamp, "Alex", "are you coming tonight?"),
        chats.Message("c", stamp + timedelta(minutes=1), ME, "yes, what abuot you?"),
        chats.Message("c", stamp + timedelta(minutes=2), ME, "*about"),
    ]
    assert chats.build_pairs(messages, ME).pairs[0].reply == "yes, what about you?"
    assert chats.build_pairs(messages, ME, corrections=False).pairs[0].reply == "yes, what abuot you?\n*about"


def test_an_explicit_reply_is_paired_with_the_message_it_quotes(tmp_path):
    # a Telegram group: Sam answers Maya's question with "reply", after Alex has started another thread
    records = [  # id, sender, text, the id it quotes, time
        ("1", "Maya Cohen", "anyone up for football on sunday?", None, "12:00:00"),
        ("2", "Alex Kim", "how did the exam go?", None, "12:01:50"),
        ("3", "Sam Rivera", "yes! count me in", "1", "12:02:00"),
        ("4", "Alex Kim", "and the exam?", None, "12:03:00"),
        ("5", "Sam Rivera", "went fine, thanks", None, "12:03:20"),
    ]
    doc = {
        "name": "Climbing crew",
        "type": "private_group",
        "id": 1,
        "messages": [
            {"id": int(i), "type": "message", "date": f"2024-05-01T{time}", "from": who, "text": text}
            | ({"reply_to_message_id": int(quoted)} if quoted else {})
            for i, who, text, quoted, time in records
        ],
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = chats.parse([path])
    assert [(m.message_id, m.reply_to) for m in result.messages][2] == ("3", "1")
    pairs = chats.build_pairs(result.messages, ME, max_gap=timedelta(seconds=30)).pairs
    assert [(p.prompt, p.reply) for p in pairs] == [
        ("anyone up for football on sunday?", "yes! count me in"),  # what it quotes, two minutes earlier
        ("and the exam?", "went fine, thanks"),  # no quote: the turn just before
    ]


def test_telegram_html_reads_the_message_a_reply_quotes(tmp_path):
    page = """<html><body><div class="page_header"><div class="text">Crew</div></div><div class="history">
    <div class="message default clearfix" id="message7"><div class="body">
      <div class="pull_right date details" title="01.05.2024 12:00:00 UTC+00:00">12:00</div>
      <div class="from_name">Maya Cohen</div><div class="text">anyone up for football?</div></div></div>
    <div class="message default clearfix" id="message8"><div class="body">
      <div class="pull_right date details" title="01.05.2024 12:01:00 UTC+00:00">12:01</div>
      <div class="from_name">Alex Kim</div><div class="text">how was the exam?</div></div></div>
    <div class="message default clearfix" id="message9"><div class="body">
      <div class="pull_right date details" title="01.05.2024 12:02:00 UTC+00:00">12:02</div>
      <div class="from_name">Sam Rivera</div>
      <div class="reply_to details">In reply to <a href="#go_to_message7" onclick="return GoToMessage(7)">this
      message</a></div><div class="text">count me in</div></div></div>
    </div></body></html>"""
    path = tmp_path / "messages.html"
    path.write_text(page, encoding="utf-8")
    result = chats.parse([path])
    assert [(m.message_id, m.reply_to) for m in result.messages] == [("7", None), ("8", None), ("9", "7")]
    assert chats.build_pairs(result.messages, ME).pairs[0].prompt == "anyone up for football?"
