"""Property-based tests: whatever people write, the WhatsApp and Telegram parsers give it back."""

import json
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import chats
from helpers.chat_notices import notices
from helpers.whatsapp import match_header

# Names: no colon or newline (WhatsApp's own separator), not blank, no surrounding spaces.
names = (
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Cf"), blacklist_characters=":\n\r"),
        min_size=1,
        max_size=20,
    )
    .map(str.strip)
    .filter(bool)
)
# Message lines: any printable text; continuation lines must not look like a message header.
lines = (
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Cf")), min_size=1, max_size=40)
    .map(str.strip)
    .filter(
        lambda t: (
            t
            and not match_header(chats.clean_invisible(t))
            and notices().classify(chats.clean_invisible(t)) is None
            and notices().split_placeholder(chats.clean_invisible(t))[0] is None
            and notices().strip_suffix(chats.clean_invisible(t))[1] is None
        )
    )
)
# "Ann: see:" above a line "this" is Ann saying "see:\nthis", or someone called "Ann: see" saying "this": the export
# is the same, so bodies whose first line ends in a colon and goes on are left out (the parser reads a name it sees
# twice that way as the name); a one-line text ending in a colon is not ambiguous and stays in
bodies = (
    st.lists(lines, min_size=1, max_size=3)
    .filter(lambda body: len(body) == 1 or not body[0].endswith(":"))
    .map("\n".join)
)
stamps = st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2035, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
messages = st.lists(st.tuples(stamps, names, bodies), min_size=1, max_size=12).map(
    lambda ms: sorted(ms, key=lambda m: m[0])
)


def android(stamp, name, body, day_first):
    date = stamp.strftime("%d/%m/%y" if day_first else "%m/%d/%y")
    hour = stamp.strftime("%I").lstrip("0") or "12"
    return f"{date}, {hour}:{stamp:%M}\u202f{stamp:%p} - {name}: {body}"


def ios(stamp, name, body, day_first):
    date = stamp.strftime("%d/%m/%Y" if day_first else "%m/%d/%Y")
    return f"[{date}, {stamp:%H:%M:%S}] {name}: {body}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=messages, style=st.sampled_from(["android", "ios"]), day_first=st.booleans())
def test_whatsapp_round_trip(tmp_path_factory, messages, style, day_first):
    render = android if style == "android" else ios
    path = tmp_path_factory.mktemp("wa") / "chat.txt"
    path.write_text("\n".join(render(*m, day_first) for m in messages) + "\n", encoding="utf-8")
    parsed = chats.parse_whatsapp(path, date_order="dmy" if day_first else "mdy").messages
    clean = chats.clean_invisible  # the parser turns no-break spaces into plain ones, by design
    assert [(m.sender, m.text) for m in parsed] == [(clean(name).strip(), clean(body)) for _, name, body in messages]
    precision = "seconds" if style == "ios" else "minutes"
    expected = [s.replace(second=0) if precision == "minutes" else s for s, _, _ in messages]
    assert [m.timestamp for m in parsed] == expected


entity = st.fixed_dictionaries(
    {"type": st.sampled_from(["bold", "italic", "link", "mention", "code"]), "text": st.text(max_size=10)}
)
telegram_texts = st.one_of(st.text(max_size=30), st.lists(st.one_of(st.text(max_size=10), entity), max_size=5))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.tuples(names, telegram_texts, st.integers(0, 2_000_000_000)), min_size=1, max_size=10))
def test_telegram_text_is_flattened_and_nothing_crashes(tmp_path_factory, records):
    chat = {
        "name": "Chat",
        "type": "personal_chat",
        "id": 1,
        "messages": [
            {"id": i, "type": "message", "date_unixtime": str(t), "date": "x", "from": name, "text": text}
            for i, (name, text, t) in enumerate(records)
        ],
    }
    path = tmp_path_factory.mktemp("tg") / "result.json"
    path.write_text(json.dumps(chat, ensure_ascii=False), encoding="utf-8")
    result = chats.parse_telegram(path)
    expected = [(name, chats.clean_invisible(chats.telegram_text(text)).strip()) for name, text, _ in records]
    expected = [(n, t) for n, t in expected if t]
    assert [(m.sender, m.text) for m in result.messages] == expected
    assert len(result.messages) + sum(result.skipped.values()) == len(records)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_messages_or_a_clear_error(data):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.txt"
        path.write_bytes(data)
        for fmt in ("auto", "whatsapp", "telegram", "messenger"):
            try:
                chats.parse([path], fmt=fmt)
            except chats.ChatFormatError as err:
                assert str(err).startswith(str(path))


def _facebook(text: str) -> str:
    """How Facebook's JSON export writes text: each UTF-8 byte as one latin-1 code point (mojibake)."""
    return text.encode("utf-8").decode("latin-1")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(
        st.tuples(names, st.text(st.characters(blacklist_categories=("Cs",)), max_size=30), st.integers(0, 2**41)),
        min_size=1,
        max_size=10,
    ),
    new_keys=st.booleans(),
)
def test_messenger_round_trip(tmp_path_factory, records, new_keys):
    """Whatever people write, in Facebook's mojibake, comes back as they wrote it (or is counted as skipped)."""
    sender, content = ("senderName", "text") if new_keys else ("sender_name", "content")
    doc = {
        "participants": [{"name": _facebook(name)} for name, _, _ in records],
        "messages": [
            {sender: _facebook(name), "timestamp_ms": stamp, content: _facebook(text)}
            for name, text, stamp in records[::-1]  # the export is newest first
        ],
    }
    path = tmp_path_factory.mktemp("fb") / "message_1.json"
    path.write_text(json.dumps(doc), encoding="utf-8")  # ASCII with \u00XX escapes, as the export
    result = chats.parse_messenger(path)
    expected = []
    for name, text, stamp in sorted(records, key=lambda r: r[2]):
        clean = chats.clean_invisible(text)
        if notices().classify(clean, "messenger") is None and clean.strip():
            expected.append((name, clean.strip()))
    assert sorted((m.sender, m.text) for m in result.messages) == sorted(expected)
    stamps = [m.timestamp for m in result.messages]
    assert stamps == sorted(stamps)  # back in time order
    assert len(result.messages) + sum(result.skipped.values()) == len(records)


def _messenger_html(records) -> str:
    """A Messenger HTML thread as the export writes it (newest first), from (stamp, name, text) records."""
    from html import escape

    blocks = "".join(
        '<div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder">'
        f'<div class="_2ph_ _a6-h _a6-i">{escape(name)}</div>'
        f'<div class="_2ph_ _a6-p"><div><div></div><div>{escape(text)}</div><div></div><div></div></div></div>'
        f'<div class="_3-94 _a6-o">{stamp:%b} {stamp.day}, {stamp:%Y}, {stamp:%I}:{stamp:%M} {stamp:%p}</div></div>'
        for stamp, name, text in records[::-1]
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8" /><title>Chat</title></head><body>'
        f'<div class="_4t5n" role="main">{blocks}</div></body></html>'
    )


one_line = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Cf")), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.tuples(stamps, names, one_line), min_size=1, max_size=10))
def test_messenger_html_round_trip(tmp_path_factory, records):
    """Whatever people write comes back from the HTML export as they wrote it (or is counted as skipped)."""
    records = sorted(records, key=lambda r: r[0])
    path = tmp_path_factory.mktemp("fbhtml") / "message_1.html"
    path.write_text(_messenger_html(records), encoding="utf-8")
    result = chats.parse_messenger_html(path)
    expected = []
    for stamp, name, text in records:
        clean = chats.clean_invisible(text).strip()
        if clean and notices().classify(clean, "messenger") is None:
            expected.append((stamp.replace(second=0), name, clean))
    got = [(m.timestamp.replace(tzinfo=None), m.sender, m.text) for m in result.messages]
    assert sorted(got) == sorted(expected)
    assert len(result.messages) + sum(result.skipped.values()) == len(records)
