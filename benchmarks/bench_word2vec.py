"""Keras skip-gram vs gensim (workers=2): training words/s on the same corpus slice, and WordSim353 of both.

Same data (the first 100,000 chit-chat messages, tokenized as in notebook 01),
same dimension (50), window (4), negatives (4), subsampling (1e-4), min_count
(5) and epochs (10; gensim's decaying learning rate needs about that many to converge). Words/s counts corpus tokens times epochs over wall-clock
training time (pair sampling included for Keras, vocabulary building included for gensim).
"""

from helpers import bench, corpora, vectors, word2vec

MESSAGES = 100_000
EPOCHS = 10


def main() -> None:
    corpora.ensure_chitchat_corpus("workshop")
    sentences = corpora.tokenized_messages(limit=MESSAGES, progress=False)
    corpus = word2vec.build_corpus(sentences, min_count=5)
    keras_model, _, keras_s, keras_wps = word2vec.train_keras(corpus, epochs=EPOCHS)
    keras_kv = word2vec.keras_vectors(keras_model, corpus.vocabulary)
    gensim_model, gensim_s, gensim_wps = word2vec.train_gensim(sentences, epochs=EPOCHS, workers=2)
    rows = []
    for name, kv, seconds, wps in [
        ("Keras skip-gram", keras_kv, keras_s, keras_wps),
        ("gensim skip-gram (workers=2)", gensim_model.wv, gensim_s, gensim_wps),
    ]:
        scores = vectors.evaluate(kv, restrict_vocab=len(kv.index_to_key))
        rows.append(
            {
                "model": name,
                "tokens": corpus.tokens,
                "epochs": EPOCHS,
                "train_s": seconds,
                "words_per_s": wps,
                "wordsim353_spearman": scores["wordsim353_spearman"],
                "wordsim353_oov_percent": scores["wordsim353_oov_percent"],
            }
        )
    bench.report("word2vec", rows, notes=f"gensim / Keras speed ratio: {gensim_wps / keras_wps:.1f}x")


if __name__ == "__main__":
    main()
