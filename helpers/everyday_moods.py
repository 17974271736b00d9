"""Which everyday mood a message is in (love, happy, sad, angry, funny, food), read from the sense reading.

The suggester's other readers of feeling (the tweets' classifier, VADER's word list, the reactions model) answer
"good or bad?". A funny mishap ("i put salt in my coffee instead of sugar") reads as bad news to all three, so its
emoji come out sad or cross, where a person would send 😂. The labelled mood set (``data/emoji_messages.tsv``) says
which of six moods each message is in, and the distilled MiniLM reading (``helpers.emoji_sense``: the message's
cosine with every emoji's description) sees situations rather than words. A logistic regression from the one to the
other (scikit-learn, strongly regularised; the zoo's learns from every labelled set, 467 messages since 2026-12-04,
``helpers.emoji_data.TRAINING_SETS``) gives ``p(mood | m)``; its Keras twin (a ``Normalization``
and a ``Dense`` softmax) goes into the zoo. The suggester's ``moods`` part spreads that probability over each mood's
emoji (``data/emoji_moods.tsv``)::

    moods(m, e) = log(sum_k p(k | m) [e is one of mood k's emoji] + 0.001)

Taught in: 05_emoji_suggestion.
"""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from . import emoji_data
from .mpnet import load_reader
from .reactions import twin_weights

ZOO_NAME = "05_emoji/moods"
#: Inverse regularisation of the logistic regression (scikit-learn's ``C``), chosen before the blind set was scored.
C = 0.1
#: Added inside the log, so an emoji of no mood gets log(0.001) rather than minus infinity.
FLOOR = 1e-3


def build_mood_model(mean: np.ndarray, variance: np.ndarray, moods: Sequence[str]) -> keras.Model:
    """Sense cosines (one per emoji) to ``p(mood)``: standardised with the training messages' ``mean`` and
    ``variance`` per emoji (``Normalization``), then one softmax layer over the ``moods``.

    The dense layer's weights come from a fitted logistic regression (:func:`fit_mood_model`); the model only
    carries them, so the suggester and the server load it like the other zoo models.
    Taught in: 05_emoji_suggestion.
    """
    cosines = keras.Input(shape=(len(mean),), name="sense_cosines")
    standard = keras.layers.Normalization(mean=mean, variance=variance, name="standard")
    mood = keras.layers.Dense(len(moods), activation="softmax", name="mood")
    return keras.Model(cosines, mood(standard(cosines)), name="moods")


def mood_indices(labels: Sequence[str], moods: Sequence[str]) -> np.ndarray:
    """Each label's index in ``moods``: a ``ValueError`` for a label that is not one of them, or a mood no label
    names (a mood reader must learn every mood)."""
    moods = list(moods)
    unknown = sorted(set(labels) - set(moods))
    if unknown:
        raise ValueError(f"labels {unknown} are not among the moods {moods}")
    y = np.array([moods.index(label) for label in labels])
    if len(set(y)) != len(moods):
        raise ValueError(f"every mood needs labelled messages; missing {sorted(set(moods) - set(labels))}")
    return y


def fit_mood_model(cosines: np.ndarray, labels: Sequence[str], moods: Sequence[str], c: float = C) -> keras.Model:
    """Fit the scaler and the logistic regression on labelled messages' sense cosines (n, E) and copy them into
    :func:`build_mood_model`. ``labels``: each message's mood, one of ``moods``. Taught in: 05_emoji_suggestion."""
    moods = list(moods)
    y = mood_indices(labels, moods)
    scaler = StandardScaler().fit(cosines)
    classifier = LogisticRegression(C=c, max_iter=2000).fit(scaler.transform(cosines), y)
    model = build_mood_model(scaler.mean_.astype("float32"), scaler.var_.astype("float32"), moods)
    model.get_layer("mood").set_weights([classifier.coef_.T.astype("float32"), classifier.intercept_.astype("float32")])
    return model


class MoodReader:
    """The zoo mood model, ready to score. ``probabilities(cosines)`` is ``p(mood | m)`` (n, moods), computed in
    NumPy from the model's weights (a softmax of six numbers does not need a graph call; a test checks it against
    the Keras model); ``term(cosines, mood_emoji)`` is the suggester's ``moods`` part (n, E).
    Taught in: 05_emoji_suggestion."""

    def __init__(self, model: keras.Model, moods: Sequence[str]):
        self.model, self.moods = model, list(moods)
        standard = model.get_layer("standard").get_config()
        mean, variance = np.asarray(standard["mean"], "float64"), np.asarray(standard["variance"], "float64")
        kernel, bias = model.get_layer("mood").get_weights()
        if kernel.shape[1] != len(self.moods):
            raise ValueError(f"the mood model reads {kernel.shape[1]} moods, {len(self.moods)} were named")
        # standardising, then the dense layer, folded into one affine map
        scale = 1.0 / np.maximum(np.sqrt(variance), keras.backend.epsilon())  # as Normalization divides
        self.kernel = scale[:, None] * np.asarray(kernel, "float64")
        self.bias = np.asarray(bias, "float64") - (mean * scale) @ np.asarray(kernel, "float64")

    @property
    def emoji_count(self) -> int:
        return int(self.kernel.shape[0])

    def probabilities(self, cosines: np.ndarray) -> np.ndarray:
        logits = np.asarray(cosines, "float64") @ self.kernel + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def term(self, cosines: np.ndarray, mood_emoji: np.ndarray) -> np.ndarray:
        """The suggester's ``moods`` part of these messages (:func:`moods_term` of their probabilities)."""
        return moods_term(self.probabilities(cosines), mood_emoji)


def moods_term(probabilities: np.ndarray, mood_emoji: np.ndarray) -> np.ndarray:
    """``log(p(mood | m) @ mood_emoji + FLOOR)``, (n, E): ``probabilities`` (n, moods); ``mood_emoji`` (moods, E) is 1
    where an emoji is one of a mood's (``helpers.emoji_suggest.mood_emoji_matrix``)."""
    return np.log(probabilities @ mood_emoji + FLOOR)


def mood_sides(moods: Sequence[str]) -> np.ndarray:
    """Each mood's side (moods,), +1 good or -1 bad, from ``data/emoji_moods.tsv`` (food and funny are good): what a
    reader's polarity weighs its mood probabilities with."""
    side = {"positive": 1.0, "negative": -1.0}
    table = emoji_data.emoji_moods()
    return np.array([side.get(table[m]["sentiment"], 0.0) for m in moods])


#: The opt-in reader's mood model: the same logistic regression on all-mpnet-base-v2's vectors (``helpers.mpnet``).
READER_ZOO_NAME = "05_emoji/reader_moods"
#: Its regularisation, chosen on the 467 training messages' five folds (0.865 of moods right at 0.01, 0.861 at 0.1,
#: 0.854 at 1) before the tenth labelled set was read.
READER_C = 0.01


#: Weight of the reader's good-or-bad reading (``p(a good mood) - p(a bad one)``, :meth:`ReaderMoods.polarity`) in
#: the suggester's feeling, which decides "feeling first". Chosen on the 467 training messages, cross-fitted (top emoji's
#: polarity agreeing with the mood: 0.779 without it, 0.866 / 0.902 / 0.933 / 0.941 at 0.5 / 1 / 2 / 4, for 437, 437,
#: 436, 435 and 434 messages accepted), after the eighth, ninth and tenth sets had been read.
READER_FEELING = 2.0


class ReaderMoods:
    """``p(mood | m)`` read from the message itself by the bigger reader (all-mpnet-base-v2, ``helpers.mpnet``;
    notebook 04 ranks replies with it), not from the sense student's cosines: a logistic regression on its 768-number
    vectors (:func:`fit_mood_model`, ``c`` :data:`READER_C`). It reads situations ("a collar turned up in a box"),
    which the word-level readers miss, at a cost: with it the suggester takes 14.4 ms for a chat message and reads 281
    messages a second in batches, against 4.45 ms and 1,927 without it (``make bench BENCH=emoji``, 2-core Intel Xeon,
    2026-12-05). So it is opt-in (``EmojiSuggester.from_zoo(reader=True)``, ``--reader``).

    ``probabilities(texts)`` takes raw messages (the reader's own tokenizer). Taught in: 05_emoji_suggestion.
    """

    label = "all-mpnet-base-v2"  #: what reads the moods, as the suggester names it

    def __init__(self, model: keras.Model, moods: Sequence[str], encoder=None):
        self.mood = MoodReader(model, moods)
        self.moods = self.mood.moods
        self._encoder = encoder  # a helpers.mpnet.MPNetEncoder; loaded on first use (once per process) if None
        self.sides = mood_sides(self.moods)  # read once

    @property
    def encoder(self):
        if self._encoder is None:
            self._encoder = load_reader()  # built on first use (its weights unpacked the first time)
        return self._encoder

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """The reader's unit vectors (n, 768): packed batches of up to 32 texts of similar length."""
        return self.encoder.encode(list(texts))

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return self.mood.probabilities(self.vectors(texts))

    def polarity(self, probabilities: np.ndarray) -> np.ndarray:
        """``p(a positive mood) - p(a negative one)`` (n,) from ``probabilities`` (n, moods): love, happy, funny and
        food are positive, sad and angry negative (:attr:`sides`)."""
        return np.asarray(probabilities) @ self.sides


#: Weight of the words reader's good-or-bad reading (:meth:`WordsMoodReader.polarity`) in the default suggester's feeling,
#: which decides "feeling first" and the laugh rule, as :data:`READER_FEELING` is the bigger reader's. Chosen in session 64
#: on the ten read later sets, each scored by a suggester learned without it (agreement 0.666 / 0.726 / 0.764 / 0.776 /
#: 0.800 at 0 / 0.5 / 1 / 2 / 4, the topic emoji in the top 3 of 181 / 177 / 174 / 172 / 172 messages: the largest share
#: within 6 topic emoji of none, by a rule written first), then judged once on the eighteenth set: 52 -> 54 of 60
#: accepted, agreement 0.62 -> 0.78.
#: A larger share, 4 (agreement 0.800 on those sets), was judged once on the nineteenth set in session 65 and not
#: adopted: 47 of 60 accepted against 50, agreement 0.80 against 0.78 (benchmarks/README.md, Session 65).
WORDS_FEELING = 0.5

#: The words mood reader's weight of the word 1-2-gram TF-IDF row (unit length) beside the standardised dense
#: features: 0.669 / 0.692 / 0.694 of the 887 read messages' moods right (5-fold) at 10 / 30 / 60, session 62.
WORDS_SCALE = 30.0


def _segment_sums(values: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """Sums of ``values`` (m, k) by ``rows`` (m,), sorted, into (n, k): zeros for a row with none."""
    out = np.zeros((n, values.shape[1]), "float64")
    if len(rows):
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        out[rows[starts]] = np.add.reduceat(values, starts, axis=0)
    return out


def word_mean_vectors(prepared: Sequence[str], kv) -> np.ndarray:
    """The mean of each prepared message's known words' vectors (n, d) in ``kv`` (gensim ``KeyedVectors``, the topic
    matcher's), a word counted as often as it occurs; zeros for a message with no known word. Vectorised over the
    batch, with little to pay per call (the server suggests for one message at a time)."""
    index = kv.key_to_index
    rows, columns = [], []
    for row, text in enumerate(prepared):
        for word in text.split():
            column = index.get(word)
            if column is not None:
                rows.append(row)
                columns.append(column)
    rows = np.asarray(rows, "int64")
    total = np.bincount(rows, minlength=len(prepared)).astype("float64")
    out = _segment_sums(np.asarray(kv.vectors[columns], "float64"), rows, len(prepared))
    known = total > 0
    out[known] /= total[known, None]
    return out


def words_dense(
    cosines: np.ndarray, kv, prepared: Sequence[str], probabilities: np.ndarray, feeling: np.ndarray
) -> np.ndarray:
    """The words mood reader's dense features (n, E + d + 4): the sense cosines, the mean word vector
    (:func:`word_mean_vectors`), the sentiment probabilities and the feeling."""
    return np.hstack(
        [
            np.asarray(cosines, "float64"),
            word_mean_vectors(prepared, kv),
            np.asarray(probabilities, "float64"),
            np.asarray(feeling, "float64").reshape(-1, 1),
        ]
    )


def words_vectorizer(min_df: int = 2) -> TfidfVectorizer:
    """Word 1-2-grams of prepared messages, split on spaces as ``TextVectorization`` splits them, raw counts times
    IDF, rows of unit length: what :func:`build_words_mood_model`'s ``TextVectorization`` computes."""
    return TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, tokenizer=str.split, token_pattern=None, lowercase=False)


def build_words_mood_model(
    mean: np.ndarray, variance: np.ndarray, words: Sequence[str], idf: np.ndarray, moods: Sequence[str]
) -> keras.Model:
    """Dense features (``mean``/``variance`` per column: sense cosines, mean word vector, sentiment probabilities and
    feeling) and the prepared message's text to ``p(mood)``: the dense part standardised (``Normalization``), the text
    as a TF-IDF row over ``words`` (``TextVectorization``; the unknown column dropped, unit length, times
    :data:`WORDS_SCALE`), side by side into one softmax layer over the ``moods``. Built-in layers only, so
    ``safe_mode`` loads it; the weights come from :func:`fit_words_mood_model`. Taught in: 05_emoji_suggestion."""
    dense = keras.Input(shape=(len(mean),), name="dense")
    text = keras.Input(shape=(), dtype="string", name="text")
    standard = keras.layers.Normalization(mean=mean, variance=variance, name="standard")(dense)
    tfidf = keras.layers.TextVectorization(
        standardize=None,
        split="whitespace",
        ngrams=2,
        output_mode="tf_idf",
        vocabulary=list(words),
        idf_weights=np.asarray(idf, "float32"),
        name="tfidf",
    )
    x = keras.layers.Reshape((-1, 1), name="columns")(tfidf(text))  # column 0: every unknown n-gram
    x = keras.layers.Cropping1D((1, 0), name="drop_unknown")(x)
    x = keras.layers.Flatten(name="known_ngrams")(x)
    x = keras.layers.UnitNormalization(name="unit")(x)
    x = keras.layers.Rescaling(WORDS_SCALE, name="words")(x)
    both = keras.layers.Concatenate(name="features")([standard, x])
    mood = keras.layers.Dense(len(moods), activation="softmax", name="mood")(both)
    return keras.Model({"dense": dense, "text": text}, mood, name="words_moods")


def fit_words_mood_model(
    dense: np.ndarray, prepared: Sequence[str], labels: Sequence[str], moods: Sequence[str], c: float = C
) -> keras.Model:
    """Fit the scaler, the TF-IDF vocabulary and a logistic regression on labelled messages' dense features (n, D)
    and prepared texts, and copy them into :func:`build_words_mood_model`. Taught in: 05_emoji_suggestion."""
    moods = list(moods)
    y = mood_indices(labels, moods)
    scaler = StandardScaler().fit(dense)
    vectorizer = words_vectorizer()
    rows = vectorizer.fit_transform(list(prepared))
    features = sparse.hstack([sparse.csr_matrix(scaler.transform(dense)), WORDS_SCALE * rows]).tocsr()
    classifier = LogisticRegression(C=c, max_iter=3000).fit(features, y)
    model = build_words_mood_model(
        scaler.mean_.astype("float32"),
        scaler.var_.astype("float32"),
        vectorizer.get_feature_names_out().tolist(),
        vectorizer.idf_,
        moods,
    )
    model.get_layer("mood").set_weights([classifier.coef_.T.astype("float32"), classifier.intercept_.astype("float32")])
    return model


class WordsMoodReader:
    """The words mood model, ready to score: ``probabilities(dense, prepared)`` is ``p(mood | m)`` (n, moods), in
    NumPy from the model's weights: the dense part folded into one affine map (as :class:`MoodReader`), the words'
    part summed from each text's n-grams (:meth:`_words_logits`), so that one message costs little. A test checks it
    against the Keras model and scikit-learn. Taught in: 05_emoji_suggestion."""

    def __init__(self, model: keras.Model, moods: Sequence[str]):
        self.model, self.moods = model, list(moods)
        standard = model.get_layer("standard").get_config()
        mean, variance = np.asarray(standard["mean"], "float64"), np.asarray(standard["variance"], "float64")
        words, idf, kernel, bias = twin_weights(model, "mood")
        if kernel.shape[1] != len(self.moods):
            raise ValueError(f"the mood model reads {kernel.shape[1]} moods, {len(self.moods)} were named")
        width = len(mean)
        scale = 1.0 / np.maximum(np.sqrt(variance), keras.backend.epsilon())  # as Normalization divides
        self.kernel = scale[:, None] * kernel[:width]
        self.bias = bias - (mean * scale) @ kernel[:width]
        self._column = {word: j for j, word in enumerate(words)}
        self._idf = np.asarray(idf, "float64")
        self._words_kernel = WORDS_SCALE * kernel[width:]  # (n-grams, moods)
        self.sides = mood_sides(self.moods)

    def _words_logits(self, prepared: Sequence[str]) -> np.ndarray:
        """The words' share of each text's logits (n, moods): its TF-IDF row as the twin's ``TextVectorization`` makes
        it (counts of its word 1-2-grams in the vocabulary times their IDF, scaled to unit length; a row with none
        stays zero) times the words' kernel, computed from the (row, n-gram) pairs without building the row."""
        rows, columns = [], []
        for row, text in enumerate(prepared):
            tokens = text.split()
            for gram in tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]:
                column = self._column.get(gram)
                if column is not None:
                    rows.append(row)
                    columns.append(column)
        width = len(self._idf)
        pairs, counts = np.unique(np.asarray(rows, "int64") * width + np.asarray(columns, "int64"), return_counts=True)
        rows, columns = pairs // width, pairs % width
        values = counts * self._idf[columns]
        norm = np.sqrt(np.bincount(rows, values * values, minlength=len(prepared)))
        weights = values / np.where(norm > 0, norm, 1.0)[rows]
        return _segment_sums(weights[:, None] * self._words_kernel[columns], rows, len(prepared))

    def polarity(self, probabilities: np.ndarray) -> np.ndarray:
        """``p(a positive mood) - p(a negative one)`` (n,) from ``probabilities`` (n, moods), as
        :meth:`ReaderMoods.polarity`."""
        return np.asarray(probabilities) @ self.sides

    def probabilities(self, dense: np.ndarray, prepared: Sequence[str]) -> np.ndarray:
        if len(dense) != len(prepared):
            raise ValueError(f"{len(dense)} rows of dense features but {len(prepared)} texts")
        logits = np.asarray(dense, "float64") @ self.kernel + self.bias
        logits += self._words_logits(prepared)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)
