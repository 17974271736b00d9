"""Real exports' shapes: every WhatsApp header family, placeholders in many languages, Messenger notices and
dates, Telegram HTML and JSON variants, Instagram. Every fixture here is made up, in the apps' exact formats."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import chats
from helpers.chat_notices import notices, read_table
from helpers.whatsapp import infer_date_order

EXAMPLES = chats.Path(__file__).resolve().parent.parent / "data" / "examples"


def parse_text(tmp_path, text, name="chat.txt", **kwargs):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return chats.parse([path], **kwargs)


def rows(result):
    return [(m.timestamp, m.sender, m.text) for m in result.messages]


# --------------------------------------------------------------------------- WhatsApp header families
FAMILIES = {
    "arabic ios": (
        "[١٥\u200f/٣\u200f/٢٠٢٢، ١٠:٣٠:١٥ م] أحمد: مرحبا\n[١٦\u200f/٣\u200f/٢٠٢٢، ٩:٠٥:٠٠ ص] سارة: أهلا\n",
        [(datetime(2022, 3, 15, 22, 30, 15), "أحمد", "مرحبا"), (datetime(2022, 3, 16, 9, 5), "سارة", "أهلا")],
    ),
    "vietnamese ios, time first": (
        "[14:56:01, 3/18/22] Lan: chào\n[09:01:00, 3/19/22] Minh: hi\n",
        [(datetime(2022, 3, 18, 14, 56, 1), "Lan", "chào"), (datetime(2022, 3, 19, 9, 1), "Minh", "hi")],
    ),
    "finnish klo": (
        "13.6.2018 klo 21.25 - Matti: moi\n14.6.2018 klo 8.05 - Liisa: hei\n",
        [(datetime(2018, 6, 13, 21, 25), "Matti", "moi"), (datetime(2018, 6, 14, 8, 5), "Liisa", "hei")],
    ),
    "spaced dots": (
        "13. 6. 2018. 21:25 - Ana: bok\n14. 6. 2018. 08:01 - Ivo: bok bok\n",
        [(datetime(2018, 6, 13, 21, 25), "Ana", "bok"), (datetime(2018, 6, 14, 8, 1), "Ivo", "bok bok")],
    ),
    "dotted time, colon": (
        "13.06.18 21.25.15: Mia: text\n14.06.18 08.00.00: Leo: reply\n",
        [(datetime(2018, 6, 13, 21, 25, 15), "Mia", "text"), (datetime(2018, 6, 14, 8), "Leo", "reply")],
    ),
    "thai buddhist year": ("13/6/2561 21:25 - สมชาย: สวัสดี\n", [(datetime(2018, 6, 13, 21, 25), "สมชาย", "สวัสดี")]),
    "japanese era": ("[R3/03/05 9:07:12] 太郎: こんにちは\n", [(datetime(2021, 3, 5, 9, 7, 12), "太郎", "こんにちは")]),
    "ios before 2018": (
        "6/23/17, 12:29:34 PM: Mia: text\n6/23/17, 12:30:00 PM: Leo: reply\n",
        [(datetime(2017, 6, 23, 12, 29, 34), "Mia", "text"), (datetime(2017, 6, 23, 12, 30), "Leo", "reply")],
    ),
    "android before 2016": (
        "19:23, 28 Aug 2013 - Mia: text\n19:25, 28 Aug 2013 - Leo: reply\n",
        [(datetime(2013, 8, 28, 19, 23), "Mia", "text"), (datetime(2013, 8, 28, 19, 25), "Leo", "reply")],
    ),
    "android month name": (
        "Mar 5, 2014, 8:11 PM - Mia: text\nMar 6, 8:11 PM - Leo: reply\n",
        [(datetime(2014, 3, 5, 20, 11), "Mia", "text"), (datetime(2014, 3, 6, 20, 11), "Leo", "reply")],
    ),
    "en dash": ("12/31/20, 9:15 PM – Alex: hi\n", [(datetime(2020, 12, 31, 21, 15), "Alex", "hi")]),
    "two-digit year first": (
        "21-03-05, 09:07 - A: hi\n21-03-06, 09:07 - B: yo\n",
        [(datetime(2021, 3, 5, 9, 7), "A", "hi"), (datetime(2021, 3, 6, 9, 7), "B", "yo")],
    ),
    "year-day-month": (
        "2021-13-05, 09:07 - A: hi\n2021-14-05, 09:07 - B: yo\n",
        [(datetime(2021, 5, 13, 9, 7), "A", "hi"), (datetime(2021, 5, 14, 9, 7), "B", "yo")],
    ),
    "12-hour hour zero": ("12/31/20, 00:04 AM - A: hi\n", [(datetime(2020, 12, 31, 0, 4), "A", "hi")]),
    "chinese marker first": ("2021/3/5 下午3:15 - 小明: 你好\n", [(datetime(2021, 3, 5, 15, 15), "小明", "你好")]),
    "korean": ("2021. 3. 5. 오후 3:15 - 민수: 안녕\n", [(datetime(2021, 3, 5, 15, 15), "민수", "안녕")]),
    "spanish a. m.": (
        "5/3/21, 9:15 a. m. - Ana: hola\n13/3/21, 9:16 p. m. - Luis: hola!\n",
        [(datetime(2021, 3, 5, 9, 15), "Ana", "hola"), (datetime(2021, 3, 13, 21, 16), "Luis", "hola!")],
    ),
    "german": ("31.12.20, 21:15 - A: hi\n", [(datetime(2020, 12, 31, 21, 15), "A", "hi")]),
    "name with a colon": (
        "12/31/20, 9:15 PM - Tom:): hi\n12/31/20, 9:16 PM - Sam: yo: what\n12/31/20, 9:17 PM - Tom:): bye\n",
        [
            (datetime(2020, 12, 31, 21, 15), "Tom:)", "hi"),
            (datetime(2020, 12, 31, 21, 16), "Sam", "yo: what"),
            (datetime(2020, 12, 31, 21, 17), "Tom:)", "bye"),
        ],
    ),
    "name with colon and space": (
        "12/31/20, 9:15 PM - Dr. J: Smith: hi\n12/31/20, 9:16 PM - Sam: yo\n12/31/20, 9:17 PM - Dr. J: Smith: bye\n",
        [
            (datetime(2020, 12, 31, 21, 15), "Dr. J: Smith", "hi"),
            (datetime(2020, 12, 31, 21, 16), "Sam", "yo"),
            (datetime(2020, 12, 31, 21, 17), "Dr. J: Smith", "bye"),
        ],
    ),
    "text on the next line": (
        "12/31/20, 9:15 PM - Alex:\nhello there\n12/31/20, 9:16 PM - Alex: again\n",
        [(datetime(2020, 12, 31, 21, 15), "Alex", "hello there"), (datetime(2020, 12, 31, 21, 16), "Alex", "again")],
    ),
    # found by the round-trip property test: "Alex: :" twice made "Alex: " look like a name whose text was on the
    # next line, and both messages were dropped as empty
    "a colon as the text": (
        "12/31/20, 9:15 PM - Alex: hi\n12/31/20, 9:15 PM - Alex: :\n12/31/20, 9:16 PM - Alex: :\n",
        [
            (datetime(2020, 12, 31, 21, 15), "Alex", "hi"),
            (datetime(2020, 12, 31, 21, 15), "Alex", ":"),
            (datetime(2020, 12, 31, 21, 16), "Alex", ":"),
        ],
    ),
    # found by the round-trip property test on a fresh clone: "Alex: ok:" twice made "Alex: ok" a name confirmed
    # twice, whose text would be on the next line; no line follows, so Alex said "ok:"
    "a text ending in a colon, twice": (
        "12/31/20, 9:15 PM - Alex: hi\n12/31/20, 9:15 PM - Alex: ok:\n12/31/20, 9:16 PM - Alex: ok:\n",
        [
            (datetime(2020, 12, 31, 21, 15), "Alex", "hi"),
            (datetime(2020, 12, 31, 21, 15), "Alex", "ok:"),
            (datetime(2020, 12, 31, 21, 16), "Alex", "ok:"),
        ],
    ),
    "a name with a colon and the text on the next line": (
        "12/31/20, 9:15 PM - Re: plans:\nwhere?\n12/31/20, 9:16 PM - Re: plans:\nnow\n12/31/20, 9:17 PM - Sam: ok\n",
        [
            (datetime(2020, 12, 31, 21, 15), "Re: plans", "where?"),
            (datetime(2020, 12, 31, 21, 16), "Re: plans", "now"),
            (datetime(2020, 12, 31, 21, 17), "Sam", "ok"),
        ],
    ),
    "android text starting with a mark": (
        "12/31/20, 9:15 PM - Alex: \u200ehello\n",
        [(datetime(2020, 12, 31, 21, 15), "Alex", "hello")],
    ),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_whatsapp_header_families(tmp_path, family):
    text, expected = FAMILIES[family]
    result = parse_text(tmp_path, text)
    assert rows(result) == expected and not result.skipped


def test_date_order_is_inferred_over_the_whole_file(tmp_path):
    # the first lines are ambiguous; a later one can only be day-first, so all of them are
    lines = ["03/04/21, 10:00 AM - A: hi", "04/04/21, 10:00 AM - B: yo", "25/04/21, 10:00 AM - A: later"]
    assert infer_date_order(lines) == "dmy"
    # year first with two digits: day-first would put 21-03-06 a year before 21-03-05 (and in 2005-2006)
    assert infer_date_order(["21-03-05, 09:07 - A: hi", "21-03-06, 09:07 - B: yo", "21-04-01, 09:07 - A: x"]) == "ymd"
    # a conversation runs forwards: this order only works month-first
    assert infer_date_order(["1/2/21, 10:00 - A: a", "1/20/21, 10:00 - B: b", "2/3/21, 10:00 - A: c"]) == "mdy"
    # --date-order covers year-first orders too
    result = parse_text(tmp_path, "2021-05-03, 09:07 - A: hi\n", date_order="ydm")
    assert rows(result) == [(datetime(2021, 3, 5, 9, 7), "A", "hi")]


def test_lines_after_a_skipped_record_are_not_called_lines_before_the_first_message(tmp_path):
    result = parse_text(
        tmp_path, "12/31/20, 9:15 PM - A: hi\n13/13/20, 9:16 PM - B: broken\nmore of it\n12/31/20, 9:17 PM - B: yo\n"
    )
    assert [m.text for m in result.messages] == ["hi", "yo"]
    assert result.skipped == {"bad date": 1, "line of a skipped record": 1}


def test_whatsapp_is_read_as_a_stream(tmp_path):
    import tracemalloc

    path = tmp_path / "big.txt"
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(20_000):
            handle.write(
                f"1/{1 + i // 1000}/21, {1 + i % 12}:{i % 60:02d} PM - {'Alex' if i % 2 else 'Sam'}: "
                f"message number {i} with a few words in it\n"
            )
    tracemalloc.start()
    result = chats.parse_whatsapp(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(result.messages) == 20_000
    # the messages kept are about the file's size; the text of the file is never held whole on top of them
    assert peak < 4 * path.stat().st_size, f"peak {peak / 1e6:.1f} MB for a {path.stat().st_size / 1e6:.1f} MB file"


# --------------------------------------------------------------------------- placeholders and notices
WHATSAPP_LINES = [
    ("Sam.vcf (file attached)", "file attached"),
    ("IMG-20230102-WA0001.jpg (file attached)", "file attached"),
    ("Missed voice call", "missed call"),
    ("Missed video call", "missed call"),
    ("Waiting for this message. This may take a while.", "waiting for message"),
    ("<Media omitted>", "media omitted"),
    ("<Без медиафайлов>", "media omitted"),
    ("Данное сообщение удалено", "deleted"),
    ("Пропущенный аудиозвонок", "missed call"),
    ("<Média vynechány>", "media omitted"),
    ("<Mídia oculta>", "media omitted"),
    ("DOC-20230102-WA0003.pdf (arquivo anexado)", "file attached"),
    ("Esta mensagem foi apagada", "deleted"),
    ("Se eliminó este mensaje.", "deleted"),
    ("<Medya dahil edilmedi>", "media omitted"),
    ("Bu mesaj silindi", "deleted"),
    ("video note omitted", "media omitted"),  # a round video message, iOS
    ("View once voice message omitted", "media omitted"),
]


@pytest.mark.parametrize("style", ["android", "ios"])
def test_whatsapp_placeholders_never_become_messages(tmp_path, style):
    head = "[02/01/2023, 10:{:02d}:00] {}: {}" if style == "ios" else "02/01/2023, 10:{:02d} - {}: {}"
    mark = "\u200e" if style == "ios" else ""
    lines = [head.format(0, "Bob", "hi there")]
    for i, (text, _) in enumerate(WHATSAPP_LINES, 1):
        lines.append(head.format(i, "Bob", mark + text))
    lines.append(head.format(30, "Bob", "<Media omitted>\nlook at this"))  # a caption is kept
    lines.append(head.format(31, "Bob", "fixed it <This message was edited>"))
    lines.append(
        head.format(
            32,
            "Pokemon Chat",
            "Messages and calls are end-to-end encrypted. No one outside of "
            "this chat, not even WhatsApp, can read or listen to them.",
        )
    )
    lines.append(head.format(33, "Sam", "ok"))
    result = parse_text(tmp_path, "\n".join(lines) + "\n")
    assert [m.text for m in result.messages] == ["hi there", "look at this", "fixed it", "ok"]
    assert result.skipped["notice: encryption notice"] == 1
    assert sum(n for reason, n in result.skipped.items() if reason.startswith("notice: ")) == len(WHATSAPP_LINES) + 1


def test_ios_document_and_attachment_lines(tmp_path):
    text = (
        "[19/09/2023, 21:23:40] Fernando: \u200e<anexado: 00000012-PHOTO-2023-09-19-21-23-40.jpg>\nalvo\n"
        "[19/09/2023, 21:24:40] Ana: \u200eRelatório.pdf • \u200e3 páginas \u200edocumento omitido\n"
        "[19/09/2023, 21:25:40] Ana: \u200eReport.pdf • \u200e3 pages \u200edocument omitted\n"
        "[19/09/2023, 21:26:40] Ana: \u200e<attached: 00000013-AUDIO-2023-09-19.opus>\n"
        "[19/09/2023, 21:27:40] Ana: ok!\n"
    )
    result = parse_text(tmp_path, text)
    assert [m.text for m in result.messages] == ["alvo", "ok!"]


def test_the_table_covers_twenty_languages_for_the_main_kinds():
    table = read_table()
    for kind in (
        "media omitted",
        "deleted",
        "missed call",
        "encryption notice",
        "file attached",
        "edited",
        "waiting for message",
    ):
        languages = {row.language for row in table if row.kind == kind and row.app == "whatsapp"}
        assert len(languages) >= 10, f"{kind}: only {sorted(languages)}"
    assert len({row.language for row in table}) >= 20
    assert {row.source for row in table} <= {"issue16", "peer", "app"}


notice_rows = [row for row in read_table() if row.app == "whatsapp" and row.match != "regex"]


def _as_message(row) -> str:
    """A message the way WhatsApp writes the notice of ``row`` (with whatever the notice wraps)."""
    return {
        "exact": row.text,
        "prefix": row.text + " 12",
        "contains": "The group: " + row.text + " now.",
        "suffix": "real words " + row.text,
        "suffix-line": "IMG-20230101-WA0001.jpg " + row.text,
        "prefix-line": row.text + "00000012-PHOTO.jpg>",
    }[row.match]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    picks=st.lists(
        st.tuples(st.sampled_from(notice_rows), st.sampled_from(["Alex", "Sam"]), st.booleans(), st.booleans()),
        min_size=1,
        max_size=8,
    )
)
def test_random_placeholders_never_reach_a_pair(tmp_path_factory, picks):
    folder = tmp_path_factory.mktemp("wa")
    lines, minute = [], 0
    for row, sender, upper, ios in picks:
        text = _as_message(row)
        text = text.upper() if upper else text
        for speaker, words in ((sender, text), ("Sam" if sender == "Alex" else "Alex", "a real reply")):
            minute += 1
            lines.append(f"1/2/23, 10:{minute:02d} - {speaker}: {words}")
    path = folder / "chat.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = chats.parse([path])
    pairs = chats.build_pairs(result.messages, me=None).pairs
    for row, *_ in picks:
        needle = row.text.strip().casefold()
        assert all(needle not in m.text.casefold() for m in result.messages), row
        assert all(needle not in (p.prompt + p.reply).casefold() for p in pairs), row


def test_a_notice_table_row_with_an_unknown_match_is_refused(tmp_path):
    bad = tmp_path / "notices.tsv"
    bad.write_text("app\tkind\tlanguage\tmatch\ttext\tsource\nwhatsapp\tdeleted\ten\tfuzzy\tgone\tapp\n")
    with pytest.raises(ValueError, match="unknown match 'fuzzy'"):
        read_table(bad)


def test_ordinary_messages_are_not_notices():
    table = notices()
    for text in [
        "I added sugar",
        "Bob left early",
        "the security code for the door is 1234",
        "<3",
        "haha :)",
        "see report.pdf tomorrow",
        "waiting for you",
        "he missed the bus",
        "I reacted badly to the news",
    ]:
        assert table.classify(text) is None and table.classify(text, "messenger") is None, text


# --------------------------------------------------------------------------- Messenger and Instagram
def test_messenger_notices_without_a_type_and_shares_with_text(tmp_path):
    records = [
        ("Alex Kim", "Alex Kim reacted ❤ to your message "),
        ("Alex Kim", "Alex Kim left the group."),
        ("Alex Kim", "Alex Kim added Jordan Lee to the group."),
        ("Sam Rivera", "You joined the video chat."),
        ("Alex Kim", "Alex Kim changed the group photo."),
        ("Alex Kim", "Alex Kim sent a photo."),
        ("Alex Kim", "are you coming?"),
        ("Sam Rivera", "yes! 10 min"),
    ]
    messages = [
        {"sender_name": s, "timestamp_ms": 1_600_000_000_000 - i * 1000, "content": c}
        for i, (s, c) in enumerate(reversed(records))
    ]
    messages.append(
        {
            "sender_name": "Sam Rivera",
            "timestamp_ms": 1_600_000_100_000,
            "type": "Share",
            "content": "this is the place I told you about",
            "share": {"link": "https://example.com/x"},
        }
    )
    path = tmp_path / "message_1.json"
    path.write_text(
        json.dumps(
            {
                "participants": [{"name": "Alex Kim"}, {"name": "Sam Rivera"}],
                "messages": messages,
                "title": "Group",
                "thread_path": "inbox/group_1",
            }
        )
    )
    result = chats.parse([path])
    assert [m.text for m in result.messages] == ["are you coming?", "yes! 10 min", "this is the place I told you about"]
    assert result.skipped == {"notice: reaction": 1, "notice: group notice": 4, "notice: media omitted": 1}


def test_instagram_direct_messages_example():
    result = chats.parse([EXAMPLES / "instagram"])
    assert chats.detect_format(next((EXAMPLES / "instagram").rglob("message_1.json"))) == "messenger"
    assert [m.text for m in result.messages] == [
        "Sam!! how have you been",
        "hey! long time",
        "are you going to the concert friday?",
        "doors open at 8, I'll grab tickets",
        "see you at the show then 🎸",
    ]
    assert result.skipped == {"notice: reaction": 2, "notice: media omitted": 1, "notice: group notice": 1}


@pytest.mark.parametrize(
    "stamp, expected",
    [
        ("Mar 12, 2024 11:03:54pm", datetime(2024, 3, 12, 23, 3, 54)),
        ("Jan 01, 2021, 10:00 AM", datetime(2021, 1, 1, 10, 0)),
        ("12 thg 3, 2024 11:03:54 CH", datetime(2024, 3, 12, 23, 3, 54)),
        ("2024年3月12日 下午11:03", datetime(2024, 3, 12, 23, 3)),
        ("12 mars 2024 à 23:03", datetime(2024, 3, 12, 23, 3)),
        ("12. März 2024, 23:03", datetime(2024, 3, 12, 23, 3)),
        ("12 de marzo de 2024, 23:03", datetime(2024, 3, 12, 23, 3)),
        ("12 мар. 2024 г., 23:03", datetime(2024, 3, 12, 23, 3)),
        ("2024년 3월 12일 오후 11:03", datetime(2024, 3, 12, 23, 3)),
        ("١٢ مارس ٢٠٢٤ ١١:٠٣ م", datetime(2024, 3, 12, 23, 3)),
        ("12 मार्च 2024, 11:03 pm", datetime(2024, 3, 12, 23, 3)),
        ("12 במרץ 2024, 23:03", datetime(2024, 3, 12, 23, 3)),
        ("12 มีนาคม 2567 23:03", datetime(2024, 3, 12, 23, 3)),
    ],
)
def test_messenger_html_dates_in_many_languages(stamp, expected):
    assert chats._html_date(stamp) == expected


def test_messenger_html_unreadable_date_is_named(tmp_path):
    html = (EXAMPLES / "messenger_html/messages/inbox/priyanatarajan_77/message_1.html").read_text(encoding="utf-8")
    import re

    broken = re.sub(r"(<div class=\"_3-94 _a6-o\">)[^<]*", r"\1vendredi prochain", html)
    path = tmp_path / "message_1.html"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(chats.ChatFormatError, match="cannot read the date 'vendredi prochain'"):
        chats.parse_messenger_html(path)


# --------------------------------------------------------------------------- Telegram
def test_telegram_single_chat_without_type_or_id(tmp_path):
    path = tmp_path / "result.json"
    path.write_text(
        json.dumps(
            {
                "name": "Maya",
                "messages": [{"id": 1, "type": "message", "date": "2021-03-15T14:32:10", "from": "Maya", "text": "hi"}],
            }
        )
    )
    assert [m.text for m in chats.parse_telegram(path).messages] == ["hi"]


def test_telegram_public_supergroup_is_detected(tmp_path):
    path = tmp_path / "result.json"
    path.write_text(
        json.dumps(
            {
                "name": "Climbers",
                "type": "public_supergroup",
                "id": 5,
                "messages": [{"id": 1, "type": "message", "date": "2021-03-15T14:32:10", "from": "Maya", "text": "hi"}],
            }
        )
    )
    assert chats.detect_format(path) == "telegram" and len(chats.parse([path]).messages) == 1


def test_telegram_full_export_without_chats_says_so(tmp_path):
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"personal_information": {"first_name": "Sam"}, "chats": {"about": "", "list": []}}))
    with pytest.raises(chats.ChatFormatError, match="without any chat"):
        chats.parse([path])


def test_telegram_html_example_follows_its_pages():
    result = chats.parse([EXAMPLES / "telegram_html"])
    assert result.files == 2  # messages.html and messages2.html, read together
    assert [(m.sender, m.text) for m in result.messages] == [
        ("Maya Cohen", "are you free on saturday? the climbing gym has a new wall"),
        ("Maya Cohen", "bouldering only, no ropes 🧗"),
        ("Sam Rivera", "yes!! what time?"),
        ("Maya Cohen", "10am? then lunch\nmy treat"),  # a joined message at the top of page 2
        ("Sam Rivera", "deal, see you there"),
        ("Maya Cohen", "haha classic Alex"),
    ]
    assert result.messages[0].timestamp == datetime(2021, 3, 15, 14, 32, 10, tzinfo=timezone(timedelta(hours=2)))
    assert result.skipped == {"system message": 2, "no text (media, sticker or empty)": 1, chats.FORWARDED: 1}
    pairs = chats.build_pairs(result.messages, "Sam Rivera").pairs
    assert [p.reply for p in pairs] == ["yes!! what time?", "deal, see you there"]


def test_readme_counts_match_the_table():
    import re

    readme = (EXAMPLES.parent.parent / "README.md").read_text(encoding="utf-8")
    strings, variants = map(int, re.search(r"\((\d+) strings in (\d+) language variants", readme).groups())
    table = read_table()
    assert (strings, variants) == (len(table), len({row.language for row in table}))
