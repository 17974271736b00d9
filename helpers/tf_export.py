"""TF Serving export: the chatbot and the emoji suggester as SavedModels with string-in, string-out signatures.

``python -m helpers.serve export DIR`` writes ``DIR/chatbot/1`` and ``DIR/emoji/1`` (the
``/1`` is the version folder TF Serving expects). Everything a request needs runs inside
the graph, so any TF Serving client can call them:

- ``chatbot``: ``serve(messages: string[batch]) -> replies: string[batch]`` (greedy, with
  the same 3-gram ban as :class:`helpers.chatbot.ChatBot`);
- ``emoji``: ``serve(messages: string[batch]) -> {emoji: string[batch, 5], scores: float[batch, 5]}``.

One thing differs from the Python classes: tokenization. nltk's ``TweetTokenizer`` is Python
and cannot go into a graph, so :func:`tokenize` re-creates its rules with TensorFlow's regular
expressions (RE2): URLs, emoticons, @mentions, #hashtags, words with apostrophes or hyphens,
numbers, ellipses, single other characters, letters repeated 4+ times cut to 3. Unicode NFC
normalization is not available in core TensorFlow. :func:`tokenizer_agreement` measures how
often the two agree (the tests require it on real chat messages). Taught in: 06_deployment.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from . import emoji_data, emoji_suggest, everyday_moods, seq2seq
from .emoji_suggest import EmojiSuggester
from .text import expand_slang, slang_dictionary
from .text import tokenize as python_tokenize
from .your_bot import load_chatbot

_INVISIBLE = "[\u200b-\u200f\u2060\ufeff\u00ad]"
_WORD = r"[\p{L}\p{M}\p{N}_]"
_LETTER = r"[\p{L}\p{M}]"
# Alternatives are tried left to right (RE2's leftmost-first semantics, like Python's re),
# in the order nltk's casual tokenizer lists them.
TOKEN = "|".join(
    [
        r"https?:(?:/{1,3}|[a-z0-9%])[^\s()<>]+",  # URLs
        r"[<>]?[:;=8][\-o\*']?[\)\]\(\[dDpP/:\}\{@\|\\]",  # emoticons :) ;-p
        r"[\)\]\(\[dDpP/:\}\{@\|\\][\-o\*']?[:;=8][<>]?",  # reversed (:
        r"</?3",  # <3
        r"@" + _WORD + "+",  # @mentions
        r"#+" + _WORD + "[\\p{L}\\p{M}\\p{N}_'\\-]*" + _WORD,  # #hashtags
        _LETTER + r"(?:" + _LETTER + r"|['\-_])+" + _LETTER,  # words with ' or -
        r"[+\-]?\d+[,/.:-]\d+[+\-]?",  # numbers 3.14 10:30
        _WORD + "+",  # other words
        r"\.(?:_?\.)+",  # ellipses (". . ." -> "._._.")
        r"\S",  # anything else, one character
    ]
)
_REPEATS = "abcdefghijklmnopqrstuvwxyz!?."


def tokenize(texts):
    """Lowercased TweetTokenizer-like tokens of a string tensor ``[batch]``: a ``RaggedTensor [batch, None]``.

    Taught in: 06_deployment.
    """

    texts = tf.strings.lower(tf.strings.regex_replace(texts, _INVISIBLE, ""), encoding="utf-8")
    texts = tf.strings.regex_replace(texts, r"\s+", " ")  # whitespace runs (newlines too) are one space
    for char in _REPEATS:  # reduce_len: "sooooo" -> "sooo" (RE2 has no back-references, so one rule per letter)
        quoted = "\\" + char if char in "?." else char
        texts = tf.strings.regex_replace(texts, quoted + "{4,}", char * 3)
    for _ in range(2):  # ". . ." is one token, written "._._." like helpers.text.tokenize writes it
        texts = tf.strings.regex_replace(texts, r"\.[ \t]+\.", "._.")
    texts = tf.strings.regex_replace(texts, TOKEN, r" \0 ")
    return tf.strings.split(texts)


def prepare_sentiment(tokens):
    """``sentiment.prepare`` on tokens: URLs -> ``http``, @mentions -> ``@user``; joined with spaces.

    Taught in: 06_deployment.
    """

    tokens = tf.ragged.map_flat_values(tf.strings.regex_replace, tokens, r"^(?:https?://|www\.)\S+$", "http")
    tokens = tf.ragged.map_flat_values(tf.strings.regex_replace, tokens, r"^@.+$", "@user")
    return tf.strings.reduce_join(tokens, axis=-1, separator=" ")


def tokenizer_agreement(texts: Sequence[str]) -> float:
    """Share of ``texts`` that :func:`tokenize` splits exactly as ``helpers.text.tokenize`` does.

    Taught in: 06_deployment (99.75% of 2,000 chit-chat messages in the committed run).
    """

    graph = tokenize(np.asarray(list(texts), dtype=object)).to_list()
    same = [[t.decode("utf-8") for t in row] == python_tokenize(text) for row, text in zip(graph, texts)]
    return float(np.mean(same)) if same else 1.0


def _table(keys: Sequence[str], values, default):

    values = np.asarray(values)
    return tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant(list(keys), tf.string), tf.constant(values)), default
    )


# --------------------------------------------------------------------------- chatbot
def chatbot_module(bot):
    """A ``keras.export.ExportArchive`` whose ``serve`` endpoint replies to a batch of strings (greedy).

    Taught in: 06_deployment.
    """

    words = bot.vocabulary[len(seq2seq.SPECIALS) :]
    to_id = _table(words, np.arange(len(seq2seq.SPECIALS), len(bot.vocabulary), dtype="int32"), seq2seq.UNK_ID)
    to_word = _table([str(i) for i in range(len(bot.vocabulary))], np.array(bot.vocabulary, dtype=object), "")
    glue = "|".join(re.escape(t) for t in sorted(seq2seq._GLUE, key=len, reverse=True))
    max_prompt, max_reply, decoder = bot.max_prompt, bot.max_reply, bot.decoder
    words_of = emoji_data.emoji_readings()
    emoji_words = _table(list(words_of), np.array(list(words_of.values()), dtype=object), "")
    spelled_of = {}  # the abbreviations text.expand_slang spells out for this vocabulary, each as one string
    for key in slang_dictionary() if bot.reads_slang else ():
        words = expand_slang([key], bot.index)
        if words != [key]:
            spelled_of[key] = " ".join(words)
    spelled = _table(list(spelled_of) or [""], np.array(list(spelled_of.values()) or [""], dtype=object), "")

    def read(messages):
        """``ChatBot.message_tokens`` in the graph: a message of emoji alone is read as their words, then chat
        abbreviations the vocabulary lacks are spelled out (``text.expand_slang``). Each emoji is
        looked up as one character of the graph tokenizer, so a sequence joined by U+200D (🏳️‍🌈) is read as its parts
        (the Python bot reads it whole): the same approximation as the tokenizer's skin tones."""
        tokens = tokenize(messages)
        words = tf.strings.strip(
            tf.strings.reduce_join(tf.ragged.map_flat_values(emoji_words.lookup, tokens), axis=-1, separator=" ")
        )
        emoji_alone = tf.logical_and(
            tf.strings.regex_full_match(messages, r"[^\p{L}\p{N}]*"),  # no letter or digit (str.isalnum)
            tf.logical_not(tf.strings.regex_full_match(messages, r"[\x00-\x7f]*")),  # not ASCII: has emoji
        )
        use = tf.logical_and(emoji_alone, tf.strings.length(words) > 0)
        tokens = tokenize(tf.where(use, words, messages))

        def spell(token):
            out = spelled.lookup(token)
            return tf.where(tf.strings.length(out) > 0, out, token)

        return tf.strings.split(
            tf.strings.reduce_join(tf.ragged.map_flat_values(spell, tokens), axis=-1, separator=" ")
        )

    def serve(messages):
        tokens = read(tf.strings.substr(messages, 0, 2000, unit="UTF8_CHAR"))[:, -max_prompt:]
        ids = tf.ragged.map_flat_values(to_id.lookup, tokens).to_tensor(seq2seq.PAD_ID, shape=[None, max_prompt])
        reply_ids, _ = decoder._greedy(ids, tf.constant(max_reply))
        keep = reply_ids >= len(seq2seq.SPECIALS)  # drop [END], padding and any special token
        words = to_word.lookup(tf.strings.as_string(reply_ids))
        words = tf.ragged.boolean_mask(words, keep)
        text = tf.strings.reduce_join(words, axis=-1, separator=" ")
        return tf.strings.regex_replace(text, " (" + glue + ")( |$)", r"\1\2")

    archive = keras.export.ExportArchive()
    archive.track(bot.model)
    archive.track(to_id)
    archive.track(to_word)
    archive.track(emoji_words)
    archive.track(spelled)
    archive.add_endpoint("serve", serve, input_signature=[tf.TensorSpec([None], tf.string, name="messages")])
    return archive


# --------------------------------------------------------------------------- emoji
def emoji_module(suggester, k: int = 5):
    """A ``keras.export.ExportArchive`` whose ``serve`` endpoint gives the top ``k`` emoji and scores per string.

    The same score as :class:`helpers.emoji_suggest.EmojiSuggester`: mood (classifier read under chat's class prior, VADER valences, the
    reactions model and the everyday moods read from the sense cosines) + topic
    (named keyword stems, emoji2vec and the distilled sense reader) + habit, weighted, in the same order (feeling first); emoji in the message
    count as sentiment evidence when they are one code point (with or without a variation selector), and a message
    of such emoji alone gets them and their neighbours (``emoji_suggest.echo_scores``).
    Taught in: 06_deployment.
    """

    table, matcher = suggester.table, suggester.matcher
    single = [(e, i) for i, e in enumerate(table.emoji) if len(e.replace("\ufe0f", "")) == 1]
    emoji_index = _table([e.replace("\ufe0f", "") for e, _ in single], np.array([i for _, i in single], "int32"), -1)
    profiles = tf.constant(table.profiles, tf.float32)
    # chat's class prior (helpers.sentiment.shift_prior): each class's probability times prior / (1/3), renormalised
    prior_ratio = tf.constant(
        np.ones(3) if suggester.chat_prior is None else suggester.chat_prior * len(suggester.chat_prior), tf.float32
    )
    ratio = tf.constant(table.profiles.T / table.class_share()[:, None], tf.float32)  # p(c|e)/p(c): (classes, emoji)
    weights = suggester.active_weights
    prior = tf.constant(suggester.habit_weight * suggester.prior, tf.float32)
    emoji_strings = tf.constant(table.emoji)
    kv = matcher.kv
    vectors = kv.vectors / (np.linalg.norm(kv.vectors, axis=1, keepdims=True) + 1e-9)
    content = np.array([w.isalpha() and w not in matcher.stop_words for w in kv.index_to_key])
    rows = np.where(content, np.arange(len(kv.index_to_key)), -1).astype("int32")
    word_row = _table(list(kv.index_to_key), rows, -1)
    word_vectors = tf.constant(vectors, tf.float32)
    name_vectors = tf.constant(matcher.name_vectors, tf.float32)
    owners = tf.constant(matcher.owners, tf.int32)
    has_name = tf.constant(matcher.has_name)
    mean, std = tf.constant(matcher.mean, tf.float32), tf.constant(matcher.std, tf.float32)
    mood_weight, topic_weight, gate = float(weights["mood"]), float(weights["topic"]), float(weights["gate"])
    valence_weight, keyword_weight = float(weights["valence"]), float(weights["keyword"])
    reaction_weight = float(weights["reaction"])
    reactions_model = suggester.reactions.model if suggester.reactions is not None else None
    sense_model = suggester.sense.model if suggester.sense is not None else None
    sense_weight = float(weights["sense"]) * emoji_suggest.SENSE_SCALE
    moods_model = suggester.moods.model if suggester.moods is not None else None
    moods_weight = float(weights["moods"])
    # the default's words mood reader (helpers.everyday_moods.WordsMoodReader): the sense cosines, the mean vector of
    # every known word, the sentiment probabilities and feeling, and the prepared text
    words_model = suggester.words_moods.model if suggester.words_moods is not None else None
    words_feeling = float(everyday_moods.WORDS_FEELING)
    words_sides = tf.constant(suggester.words_moods.sides if words_model is not None else np.zeros(1), tf.float32)
    any_row = _table(list(kv.index_to_key), np.arange(len(kv.index_to_key), dtype="int32"), -1)
    raw_vectors = tf.constant(kv.vectors, tf.float32)
    mood_emoji = tf.constant(suggester.mood_emoji if moods_model is not None else np.zeros((1, len(table))), tf.float32)
    size, min_cosine = len(table), float(matcher.min_cosine)
    model = suggester.model
    lexicon = suggester.lexicon
    valence_of = _table(list(lexicon), np.array(list(lexicon.values()), "float32"), 0.0)
    polarity = tf.constant(table.polarity, tf.float32)
    lead_polarity = tf.constant(table.lead_polarity, tf.float32)
    word_stem = tf.constant(matcher.word_stem, tf.int32)
    stem_emoji = tf.RaggedTensor.from_row_splits(
        tf.constant(matcher.stem_emoji, tf.int32), tf.constant(matcher.stem_splits, tf.int64)
    )
    stem_idf = tf.constant(matcher.stem_idf, tf.float32)
    window = min(emoji_suggest.LEAD_WINDOW, size)
    threshold, min_polarity = float(emoji_suggest.LEAD_THRESHOLD), float(emoji_suggest.LEAD_POLARITY)
    feeling_first = suggester.feeling_first
    named_first = suggester.keeps_named_first
    named_feeling = float(emoji_suggest.NAMED_LEAD_FEELING)
    # the habit's favourite leads an unclear message only when the mood reader reads it as funny (emoji_suggest.LAUGH)
    hold_laugh = suggester.holds_back_laughter and "funny" in suggester.moods.moods
    laugh = table.index(emoji_suggest.LAUGH) if hold_laugh else -1
    funny_mood = list(suggester.moods.moods).index("funny") if hold_laugh else -1
    # a message of emoji alone (emoji_data.wordless, emoji_suggest.echo_scores): its emoji and their emoji2vec neighbours
    unit = matcher.emoji_vectors if matcher.emoji_vectors is not None else np.zeros((size, 1), "float32")
    emoji_vectors = tf.constant(unit, tf.float32)
    echo_scale = float(emoji_suggest.ECHO_SCALE)

    def serve(messages):
        messages = tf.strings.substr(messages, 0, 2000, unit="UTF8_CHAR")
        tokens = tokenize(messages)
        batch = tf.shape(messages)[0]
        # sentiment, with single-code-point emoji in the message as extra evidence
        prepared = prepare_sentiment(tokens)  # sentiment.prepare: what every reader below reads
        probabilities = tf.cast(model(prepared, training=False), tf.float32) * prior_ratio
        probabilities = probabilities / tf.reduce_sum(probabilities, axis=1, keepdims=True)
        chars = tf.strings.unicode_split(tf.strings.regex_replace(messages, "\ufe0f", ""), "UTF-8")
        found = tf.ragged.map_flat_values(emoji_index.lookup, chars)
        found = tf.ragged.boolean_mask(found, found >= 0)
        evidence = tf.reduce_sum(tf.gather(profiles, found), axis=1)
        counts = tf.cast(found.row_lengths(), tf.float32)[:, None]
        probabilities = (probabilities + evidence) / (1.0 + counts)
        sentiment = tf.math.log(probabilities @ ratio)
        prepared_tokens = tf.strings.split(prepared)
        # valence: VADER's word valences summed, squashed as its compound score
        total = tf.reduce_sum(tf.ragged.map_flat_values(valence_of.lookup, prepared_tokens), axis=1)
        valence = total / tf.sqrt(total * total + emoji_suggest.VALENCE_ALPHA)
        # reactions: p(good news) of the message's words of two or more letters (helpers.reactions.reaction_text)
        if reactions_model is not None:
            words = tf.strings.split(tf.strings.regex_replace(prepared, r"[^\pL\pN_]+", " "))
            words = tf.ragged.boolean_mask(words, tf.strings.length(words, unit="UTF8_CHAR") >= 2)
            good = reactions_model(tf.strings.reduce_join(words, axis=-1, separator=" "), training=False)
            reaction = 2.0 * tf.cast(good[:, 0], tf.float32) - 1.0
        else:
            reaction = tf.zeros([batch])
        feeling = probabilities[:, 2] - probabilities[:, 0] + valence + reaction
        # sense: MiniLM's reading, distilled (helpers.emoji_sense): a cosine per emoji from the prepared message
        if sense_model is not None:
            sense = tf.cast(sense_model(prepared, training=False), tf.float32)
        else:
            sense = tf.zeros([batch, size])
        # everyday moods: p(mood) from the sense cosines (helpers.everyday_moods), spread over each mood's emoji
        if moods_model is not None:
            p_mood = tf.cast(moods_model(sense, training=False), tf.float32)
            funny = tf.argmax(p_mood, axis=1, output_type=tf.int32) == funny_mood  # the laugh rule reads the sense
            if words_model is not None:  # the words reader reads the moods part
                known = tf.ragged.map_flat_values(any_row.lookup, prepared_tokens)
                known = tf.ragged.boolean_mask(known, known >= 0)
                summed = tf.math.unsorted_segment_sum(
                    tf.gather(raw_vectors, known.flat_values), tf.cast(known.value_rowids(), tf.int32), batch
                )
                mean_vector = summed / tf.maximum(tf.cast(known.row_lengths(), tf.float32), 1.0)[:, None]
                dense = tf.concat([sense, mean_vector, probabilities, feeling[:, None]], axis=1)
                p_mood = tf.cast(words_model({"dense": dense, "text": prepared}, training=False), tf.float32)
                feeling = feeling + words_feeling * tf.linalg.matvec(p_mood, words_sides)  # its share of the feeling
            moods = tf.math.log(p_mood @ mood_emoji + everyday_moods.FLOOR)
        else:
            moods = tf.zeros([batch, size])
            funny = tf.ones([batch], tf.bool)
        # topic term: best cosine between a content word and an emoji's topic vectors, z-scored
        # a plural also brings its singular ("tacos" -> "taco"), as TopicMatcher.content_words does
        plural = tf.strings.regex_full_match(prepared_tokens, ".*[^s]s")
        singular = tf.where(plural, tf.strings.regex_replace(prepared_tokens, "s$", ""), "")
        prepared_tokens = tf.concat([prepared_tokens, singular], axis=1)
        word_rows = tf.ragged.map_flat_values(word_row.lookup, prepared_tokens)
        word_rows = tf.ragged.boolean_mask(word_rows, word_rows >= 0)
        sims = tf.gather(word_vectors, word_rows.flat_values) @ tf.transpose(name_vectors)  # (words, names)
        per_message = tf.math.unsorted_segment_max(sims, word_rows.value_rowids(), batch)  # (batch, names)
        per_emoji = tf.transpose(tf.math.unsorted_segment_max(tf.transpose(per_message), owners, size))
        has_words = word_rows.row_lengths() > 0
        z = (per_emoji - mean) / std
        z = tf.where(has_words[:, None] & has_name[None, :] & (per_emoji >= min_cosine), z, 0.0)
        # named topic: the idf of the most specific stem a content word shares with the emoji's words
        stems = tf.ragged.map_flat_values(lambda rows: tf.gather(word_stem, rows), word_rows)
        stems = tf.ragged.boolean_mask(stems, stems >= 0)
        named = tf.gather(stem_emoji, stems.flat_values)  # (stems, emoji of each)
        owner = tf.gather(stems.value_rowids(), named.value_rowids())  # the message of each (stem, emoji)
        segment = tf.cast(owner, tf.int32) * size + named.flat_values
        keyword = tf.math.unsorted_segment_max(
            tf.gather(tf.gather(stem_idf, stems.flat_values), named.value_rowids()), segment, batch * size
        )
        keyword = tf.reshape(tf.maximum(keyword, 0.0), [batch, size])
        # a message with no letter or digit and emoji of the table: their mean profile is its mood, their
        # neighbours its topic, and feeling first leaves it alone
        counts = tf.math.unsorted_segment_sum(
            tf.ones_like(found.flat_values, tf.float32),
            tf.cast(found.value_rowids(), tf.int32) * size + found.flat_values,
            batch * size,
        )
        counts = tf.reshape(counts, [batch, size])
        echo_rows = tf.logical_not(tf.strings.regex_full_match(messages, r"(?s).*[\pL\pN].*")) & (
            found.row_lengths() > 0
        )
        total_own = tf.reduce_sum(counts, axis=1, keepdims=True)
        own_mean = counts @ emoji_vectors
        cosine = tf.math.l2_normalize(own_mean, axis=1, epsilon=1e-18) @ tf.transpose(emoji_vectors)
        echo = echo_scale * tf.where(counts > 0, 2.0 + counts / tf.maximum(total_own, 1.0), cosine)
        own_profile = (counts @ profiles) / tf.maximum(total_own, 1.0)
        echo_score = prior[None, :] + mood_weight * tf.math.log(own_profile @ ratio) + echo
        feeling = tf.where(echo_rows, 0.0, feeling)
        funny = funny | echo_rows  # its own emoji lead, 😂 too
        score = (
            prior[None, :]
            + mood_weight * sentiment
            + valence_weight * valence[:, None] * polarity[None, :]
            + reaction_weight * reaction[:, None] * polarity[None, :]
            + topic_weight * tf.maximum(0.0, z - gate)
            + keyword_weight * keyword
            + sense_weight * sense
            + moods_weight * moods
        )
        score = tf.where(echo_rows[:, None], echo_score, score)
        probabilities = tf.nn.softmax(score, axis=-1)
        # feeling first: the best emoji of the message's clear polarity moves to the front of the window
        top = tf.math.top_k(probabilities, k=max(window, k)).indices
        side = tf.sign(feeling)[:, None] * tf.gather(lead_polarity, top[:, :window])
        match = (side > min_polarity) & (tf.abs(feeling) > threshold)[:, None]
        first = tf.where(
            tf.reduce_any(match, axis=1), tf.argmax(tf.cast(match, tf.int32), axis=1, output_type=tf.int32), 0
        )
        if named_first:  # a face the message names, of its side, keeps first place (emoji_suggest.NAMED_LEAD_FEELING)
            best = top[:, 0]
            keeps = (
                (tf.abs(feeling) > named_feeling)
                & (tf.gather(keyword, best, batch_dims=1) > 0)
                & (tf.sign(feeling) * tf.gather(lead_polarity, best) > 0)
            )
            first = tf.where(keeps, 0, first)
        position = tf.range(max(window, k))[None, :]
        source = tf.where(position == 0, first[:, None], tf.where(position <= first[:, None], position - 1, position))
        ordered = tf.gather(top, source, batch_dims=1)
        if hold_laugh:  # 😂 first on an unclear message not read as funny: the second leads
            held = (tf.abs(feeling) <= threshold) & tf.logical_not(funny) & (ordered[:, 0] == laugh)
            swapped = tf.concat([ordered[:, 1:2], ordered[:, 0:1], ordered[:, 2:]], axis=1)
            ordered = tf.where(held[:, None], swapped, ordered)
        order = ordered[:, :k] if feeling_first else top[:, :k]
        return {"emoji": tf.gather(emoji_strings, order), "scores": tf.gather(probabilities, order, batch_dims=1)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    if reactions_model is not None:
        archive.track(reactions_model)
    if sense_model is not None:
        archive.track(sense_model)
    if moods_model is not None:
        archive.track(moods_model)
    if words_model is not None:
        archive.track(words_model)
    for resource in (emoji_index, word_row, any_row, valence_of):
        archive.track(resource)
    archive.add_endpoint("serve", serve, input_signature=[tf.TensorSpec([None], tf.string, name="messages")])
    return archive


def export_all(directory: str | Path, bot: str = "04_seq2seq/you", version: int = 1) -> dict[str, Path]:
    """Write ``DIRECTORY/chatbot/VERSION`` and ``DIRECTORY/emoji/VERSION``; return their paths.

    ``bot`` is a zoo name or a ``make bot`` folder. Taught in: 06_deployment.
    """

    directory = Path(directory)
    chat = load_chatbot(bot)
    if chat.decoder is None:
        raise ValueError(
            f"{bot} has no generator to export (its export was too small to fine-tune one): "
            f"train it on more chats with `make bot`"
        )

    out = {"chatbot": directory / "chatbot" / str(version), "emoji": directory / "emoji" / str(version)}
    level = tf.get_logger().level
    tf.get_logger().setLevel("ERROR")  # "Assets written to ..." twice per model otherwise
    try:
        chatbot_module(chat).write_out(str(out["chatbot"]), verbose=False)
        emoji_module(EmojiSuggester.from_zoo()).write_out(str(out["emoji"]), verbose=False)
    finally:
        tf.get_logger().setLevel(level)
    return out
