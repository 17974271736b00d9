"""Public conversation corpora as :class:`helpers.chats.Message` lists, and the corpus files later notebooks read.

* BYU Chit-Chat (``chitchat-dataset``): real two-person chats with sender ids;
  its most active sender is the cookbook's default "you".
* Gunthercox dialogs (``chatterbot-corpus``): small YAML dialogs.
* Cornell Movie-Dialogs: downloaded with :func:`helpers.download.fetch` when there is internet.

Taught in: 01_corpus_download. The corpus files in ``generated/corpus/`` are read
by 02_word2vec, 04_seq2seq_chatbot and 05_emoji_suggestion through :func:`corpus_files`.
"""

from __future__ import annotations

import ast
import json
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Iterable

import yaml
from tqdm.auto import tqdm

from . import paths
from .chats import ChatFormatError, Message, ParseResult, build_pairs, senders, write_jsonl
from .download import extract, fetch
from .paths import package_file
from .text import tokenize
from .zoo import sha256_file


@dataclass(frozen=True)
class CorpusInfo:
    """Where a corpus comes from, for the table in notebook 01 and data/README.md."""

    name: str
    source: str
    license: str
    what: str


SOURCES = [
    CorpusInfo(
        "chitchat",
        "PyPI chitchat-dataset (BYU Chit-Chat)",
        "MIT",
        "7,168 real two-person chats, 258k messages with sender ids and timestamps",
    ),
    CorpusInfo(
        "chatterbot",
        "PyPI chatterbot-corpus (gunthercox)",
        "BSD-3-Clause",
        "short YAML dialogs by topic, 21 English files",
    ),
    CorpusInfo(
        "cornell-movie-dialogs",
        "download: cs.cornell.edu (URL and sha256 in helpers.download)",
        "free for research (see the corpus README)",
        "220k exchanges between movie characters",
    ),
    CorpusInfo(
        "your own export",
        "Facebook Messenger, WhatsApp, Telegram",
        "yours: keep it in generated/",
        "parsed by helpers.chats; never committed",
    ),
]


def package_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def chitchat_path() -> Path:
    """The chit-chat corpus file (``chitchat_dataset/dataset.json``, 40 MB)."""
    return package_file("chitchat_dataset", "dataset.json")


def chitchat_source() -> dict:
    """Which chit-chat corpus a model or a corpus file was made from: ``source`` (package and version) and
    ``sha256`` (of its ``dataset.json``), as model cards record it."""
    return {"source": "chitchat-dataset " + package_version("chitchat-dataset"), "sha256": sha256_file(chitchat_path())}


def load_chitchat(max_conversations: int | None = None) -> ParseResult:
    """Read BYU Chit-Chat as messages (conversation id, UTC timestamp, sender uuid, text).

    ``max_conversations`` keeps the first N conversations (for the CI size).
    Taught in: 01_corpus_download.
    """
    with open(chitchat_path(), encoding="utf-8") as handle:
        corpus = json.load(handle)
    result = ParseResult(files=1)
    for number, (conversation, record) in enumerate(corpus.items()):
        if max_conversations is not None and number >= max_conversations:
            break
        for turn in record.get("messages", []):
            for message in turn:
                text, sender = (message.get("text") or "").strip(), message.get("sender")
                if not sender:
                    result.skipped["no sender"] += 1
                    continue
                if not text:
                    result.skipped["no text (media, sticker or empty)"] += 1
                    continue
                stamp = datetime.fromisoformat(message["timestamp"].replace("Z", "+00:00"))
                result.messages.append(Message(conversation, stamp, sender, text))
    return result


def top_sender(messages: Iterable[Message]) -> str:
    """The sender with the most messages: the cookbook's default "you". Taught in: 01_corpus_download."""
    return senders(messages).most_common(1)[0][0]


def load_chatterbot(language: str = "english") -> ParseResult:
    """Read the gunthercox YAML dialogs; each list becomes a conversation of two alternating speakers.

    Some lists are alternative answers rather than turns, which is why this is a
    toy corpus. Taught in: 01_corpus_download.
    """

    folder = package_file("chatterbot_corpus", "data", language)
    result = ParseResult()
    for path in sorted(folder.glob("*.yml")):
        result.files += 1
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for number, dialog in enumerate(doc.get("conversations", [])):
            if not isinstance(dialog, list):
                result.skipped["malformed record"] += 1
                continue
            for index, text in enumerate(dialog):
                text = str(text).strip() if text is not None else ""
                if not text:
                    result.skipped["no text (media, sticker or empty)"] += 1
                    continue
                speaker = "speaker_a" if index % 2 == 0 else "speaker_b"
                result.messages.append(Message(f"{path.stem}:{number}", None, speaker, text))
    return result


CORNELL_SEPARATOR = " +++$+++ "


def parse_cornell(folder: str | Path) -> ParseResult:
    """Parse Cornell Movie-Dialogs' ``movie_lines.txt`` and ``movie_conversations.txt`` (ISO-8859-1).

    Lines: ``L1045 +++$+++ u0 +++$+++ m0 +++$+++ BIANCA +++$+++ They do not!``;
    conversations: ``u0 +++$+++ u2 +++$+++ m0 +++$+++ ['L194', 'L195']``.
    Taught in: 01_corpus_download.
    """
    folder = Path(folder)
    lines_path, convs_path = folder / "movie_lines.txt", folder / "movie_conversations.txt"
    for path in (lines_path, convs_path):
        if not path.is_file():
            raise ChatFormatError(
                path,
                "missing: expected the Cornell corpus files movie_lines.txt and movie_conversations.txt in this folder",
            )
    result = ParseResult(files=2)
    lines: dict[str, tuple[str, str]] = {}
    with open(lines_path, encoding="iso-8859-1") as handle:
        for number, row in enumerate(handle, 1):
            fields = row.rstrip("\n").split(CORNELL_SEPARATOR)
            if len(fields) != 5:
                result.skipped["malformed record"] += 1
                continue
            line_id, character_id, _movie, name, text = fields
            lines[line_id.strip()] = (f"{name.strip() or '?'} ({character_id.strip()})", text.strip())
    with open(convs_path, encoding="iso-8859-1") as handle:
        for number, row in enumerate(handle, 1):
            fields = row.rstrip("\n").split(CORNELL_SEPARATOR)
            try:
                line_ids = ast.literal_eval(fields[3]) if len(fields) == 4 else None
            except (ValueError, SyntaxError):
                line_ids = None
            if not isinstance(line_ids, list):
                result.skipped["malformed record"] += 1
                continue
            for line_id in line_ids:
                if line_id not in lines:
                    result.skipped["conversation line missing from movie_lines.txt"] += 1
                    continue
                sender, text = lines[line_id]
                if not text:
                    result.skipped["no text (media, sticker or empty)"] += 1
                    continue
                result.messages.append(Message(f"{fields[2].strip()}:{number}", None, sender, text))
    return result


def load_cornell(progress: bool = True) -> ParseResult:
    """Download (once, cached, sha256-checked), extract and parse Cornell Movie-Dialogs. Needs internet.

    Taught in: 01_corpus_download.
    """

    archive = fetch("cornell-movie-dialogs", progress=progress)
    folder = extract(archive, archive.with_suffix(""))
    inner = next((p.parent for p in folder.rglob("movie_lines.txt")), folder)
    return parse_cornell(inner)


# --------------------------------------------------------------------------- corpus files for later notebooks
def corpus_dir() -> Path:
    path = paths.GENERATED / "corpus"
    path.mkdir(parents=True, exist_ok=True)
    return path


def corpus_files() -> dict[str, Path]:
    """The files notebook 01 writes to ``generated/corpus/`` and later notebooks read.

    * ``messages``: every chit-chat message, one per line (word2vec trains on these);
    * ``tokens``: the same messages tokenized, written by :func:`tokenized_messages` on first use;
    * ``you_pairs``: (prompt, reply) pairs for the default "you", JSON lines;
    * ``all_pairs``: pairs from every chit-chat speaker, JSON lines;
    * ``info``: what was built, from which file (sha256), for which size.
    """
    folder = corpus_dir()
    return {
        "messages": folder / "chitchat_messages.txt",
        "tokens": folder / "chitchat_tokens.txt",
        "you_pairs": folder / "you_pairs.jsonl",
        "all_pairs": folder / "all_pairs.jsonl",
        "info": folder / "corpus.json",
    }


def write_chitchat_corpus(parsed: ParseResult, me: str, size: str) -> dict:
    """Write the corpus files of :func:`corpus_files` from parsed chit-chat messages; return the info.

    Taught in: 01_corpus_download (last step); called by :func:`ensure_chitchat_corpus`.
    """

    files = corpus_files()  # the token cache stays: tokenized_messages checks which messages it was made from
    with open(files["messages"], "w", encoding="utf-8") as handle:
        for message in parsed.messages:
            handle.write(" ".join(message.text.split()) + "\n")
    # the corpus as the zoo's models were trained on it: without folding typists' corrections (build_pairs'
    # default for personal exports), which would change 0.7% of its texts under the models and the notebooks' numbers
    you = build_pairs(parsed.messages, me, corrections=False)
    everyone = build_pairs(parsed.messages, None, corrections=False)
    source = chitchat_source()
    info = {
        "source": source["source"],
        "source_sha256": source["sha256"],
        "size": size,
        "conversations": len({m.conversation for m in parsed.messages}),
        "messages": len(parsed.messages),
        "me": me,
        "me_messages": senders(parsed.messages)[me],
        "you_pairs": write_jsonl(you.pairs, files["you_pairs"]),
        "all_pairs": write_jsonl(everyone.pairs, files["all_pairs"]),
        "built": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    files["info"].write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def ensure_chitchat_corpus(size: str = "workshop") -> dict:
    """Return the corpus info, building the files first if notebook 01 has not (or built the CI subset).

    Later notebooks call this so each runs top to bottom on its own.
    """
    files = corpus_files()
    if all(files[k].exists() for k in ("info", "messages", "you_pairs", "all_pairs")):
        info = json.loads(files["info"].read_text(encoding="utf-8"))
        if (info.get("size") == "ci") == (size == "ci"):  # workshop and full use the same (whole) corpus
            return info
    parsed = load_chitchat(max_conversations=CI_CONVERSATIONS if size == "ci" else None)
    return write_chitchat_corpus(parsed, top_sender(parsed.messages), size)


#: How many chit-chat conversations the CI size uses (the others use all 7,168).
CI_CONVERSATIONS = 400


def tokenized_messages(limit: int | None = None, progress: bool = True) -> list[list[str]]:
    """Every corpus message tokenized with :func:`helpers.text.tokenize` (lowercased), cached on disk.

    Tokenizing 258k messages takes about a minute on 2 cores, so the result is
    written to ``generated/corpus/chitchat_tokens.txt`` once and read back
    (in about a second) afterwards, for as long as the messages file has the same
    sha256 (kept beside the cache: notebook 01 rewriting the same messages keeps it).
    ``limit`` keeps the first messages. Taught in: 02_word2vec.
    """
    files = corpus_files()
    if not files["messages"].exists():
        raise FileNotFoundError(f"{files['messages']} is missing: run notebook 01 or corpora.ensure_chitchat_corpus()")
    cache = files["tokens"]
    made_from = cache.with_name(cache.name + ".sha256")  # the sha256 of the messages it was tokenized from
    source = sha256_file(files["messages"])
    if not cache.exists() or not made_from.exists() or made_from.read_text().strip() != source:
        lines = files["messages"].read_text(encoding="utf-8").splitlines()
        if progress:
            lines = tqdm(lines, desc="tokenizing", unit=" messages", mininterval=2)
        partial = cache.with_name(cache.name + ".part")
        with open(partial, "w", encoding="utf-8") as out:
            for line in lines:
                out.write(" ".join(tokenize(line)) + "\n")
        partial.replace(cache)
        made_from.write_text(source + "\n")
    sentences = []
    with open(cache, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if limit is not None and number >= limit:
                break
            tokens = line.split()
            if tokens:
                sentences.append(tokens)
    return sentences


def most_common_replies(pairs: Iterable[dict], n: int = 10) -> list[tuple[str, int]]:
    """The ``n`` most frequent replies (lowercased): a first look at how "you" talk."""
    return Counter(pair["reply"].lower() for pair in pairs).most_common(n)
