from pathlib import Path

import nbformat
import pytest

from helpers import notebooks, paths

NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path):
    assert notebooks.check(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_name(path):
    stem = path.stem
    assert stem[:2].isdigit() and stem[2] == "_" and stem == stem.lower(), f"{path.name} is not NN_snake_case"


def _good_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("x = 1", execution_count=1),
        nbformat.v4.new_code_cell("assert x == 1, 'x should be 1'", execution_count=2),
    ]
    return nb


def _write(nb, tmp_path) -> Path:
    path = tmp_path / "00_tmp.ipynb"
    nbformat.write(nb, path)
    return path


def test_good_notebook_passes(tmp_path):
    assert notebooks.check(_write(_good_notebook(), tmp_path)) == []


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda nb: nb.metadata.__setitem__("kernelspec", {"name": "myenv"}), "kernel is 'myenv'"),
        (lambda nb: nb.metadata.__setitem__("widgets", {"state": {}}), "stray notebook metadata"),
        (lambda nb: nb.cells[1].metadata.__setitem__("collapsed", True), "stray cell metadata"),
        (lambda nb: nb.cells[2].__setitem__("execution_count", 5), "execution counts [1, 5]"),
        (
            lambda nb: nb.cells[1].outputs.append(
                nbformat.v4.new_output(
                    "error", ename="NameError", evalue="name 'inverse_vocab' is not defined", traceback=[]
                )
            ),
            "NameError",
        ),
        (lambda nb: nb.cells.pop(2), "no checked output"),
    ],
)
def test_broken_notebook_fails(tmp_path, breakage, expected):
    nb = _good_notebook()
    breakage(nb)
    problems = notebooks.check(_write(nb, tmp_path))
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    "headings, mention, expected",
    [
        (["## Recipe 1 · A", "## Recipe 2 · B"], "as Recipe 2 shows", []),
        (["## Recipe 1 · A", "## Recipe 3 · C"], "", ["recipes are numbered [1, 3], not 1..2"]),
        (["## Recipe 1 · A", "## Recipe 2 · B"], "the messages of Recipe 6", ["mentions 'Recipe 6'"]),
        (["## Recipe 1 · A", "## Recipe 2 · B"], "Recipes 2 and 5 together", ["mentions 'Recipes 2 and 5'"]),
        (["## Recipe 1 · A"], "as in notebook 04, Recipe 9", []),  # another notebook's recipe
        (
            ["## Recipe 1 · A", "## Recipe 2 · B **Problem.** only"],
            "",
            ["Recipe 2 has no **Solution.**", "Recipe 2 has no **Discussion.**"],
        ),
        (["## Recipe 1 · A **Problem.** **Solution.** only"], "", ["Recipe 1 has no **Discussion.**: say what the"]),
    ],
)
def test_recipes_are_numbered_and_mentions_exist(tmp_path, headings, mention, expected):
    nb = _good_notebook()
    nb.cells[1:1] = [nbformat.v4.new_markdown_cell(h if "only" in h else f"{h}\n\n{WHOLE_RECIPE}") for h in headings]
    nb.cells.append(nbformat.v4.new_markdown_cell(mention))
    problems = notebooks.check(_write(nb, tmp_path))
    assert len(problems) == len(expected) and all(e in p for e, p in zip(expected, problems)), problems


WHOLE_RECIPE = "**Problem.** ... **Solution.** ... **Discussion.** ..."


@pytest.mark.parametrize(
    "later, complete",
    [
        ("### A closer look\n\n**Discussion.** ...", True),  # a ### section is part of its recipe
        ("## Sanity checks\n\n**Discussion.** ...", False),  # the next ## heading ends it
    ],
)
def test_a_recipes_discussion_may_come_after_its_code_and_sections(tmp_path, later, complete):
    nb = _good_notebook()
    nb.cells[1:1] = [
        nbformat.v4.new_markdown_cell("## Recipe 1 · A\n\n**Problem.** ... **Solution.** ..."),
        nbformat.v4.new_code_cell("x = 1", execution_count=None),
        nbformat.v4.new_markdown_cell(later),
    ]
    for number, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = number + 1
    problems = notebooks.check(_write(nb, tmp_path))
    assert problems == ([] if complete else [problems[0]]) and (complete or "no **Discussion.**" in problems[0]), (
        problems
    )


def test_recipes_mentioned_outside_the_notebooks_exist():
    """README, the lab book and the helpers' docstrings point readers at "notebook 04, Recipe 9" or
    "06_deployment (Recipe 4's Discussion)": each such recipe must exist in that notebook."""
    recipes = {
        path.stem[:2]: {
            int(n)
            for cell in nbformat.read(path, as_version=4).cells
            if cell.cell_type == "markdown"
            for n in notebooks.RECIPE_HEADING.findall(cell.source)
        }
        for path in NOTEBOOKS
    }
    files = [paths.ROOT / "README.md", paths.ROOT / "benchmarks" / "README.md", paths.DATA / "README.md"]
    files += sorted((paths.ROOT / "helpers").rglob("*.py"))
    found, missing = 0, []
    for file in files:
        for match in notebooks.RECIPE_MENTION.finditer(file.read_text(encoding="utf-8")):
            notebook = match.group(1) or match.group(2)
            for number in (n for n in match.groups()[2:] if n and notebook):
                found += 1
                if int(number) not in recipes.get(notebook, set()):
                    missing.append(f"{file.relative_to(paths.ROOT)}: {match.group(0)!r}")
    assert found >= 4, "the pattern no longer finds the mentions README and the helpers make"
    assert not missing, missing


def test_unreadable_notebook(tmp_path):
    path = tmp_path / "00_bad.ipynb"
    path.write_text("{not json")
    assert "not a readable notebook" in notebooks.check(path)[0]


@pytest.mark.parametrize("command", ["run", "sync"])
def test_a_missing_notebook_is_one_error_line(command, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        notebooks.main([command, str(tmp_path / "04_typo.ipynb")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("python -m helpers.notebooks: error: no such notebook:") and "04_typo.ipynb" in err[-1]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_taught_cells_match_the_library(path):
    """A cell starting `# helpers.MODULE` must define exactly what helpers/MODULE.py defines."""
    for module, name, source in notebooks.taught_definitions(path):
        library = notebooks.library_definition(module, name)
        assert library is not None, f"{path.name} teaches {module}.{name}, which {module}.py does not define"
        assert source == library, f"{path.name}: the cell's {name} differs from {module}.{name}; copy one to the other"


def test_taught_cell_check_catches_a_difference(tmp_path):
    nb = _good_notebook()
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "# helpers.dialog_eval\ndef distinct_n(replies, n):\n    return 0.0", execution_count=3
        )
    )
    path = _write(nb, tmp_path)
    [(module, name, source)] = notebooks.taught_definitions(path)
    assert (module, name) == ("helpers.dialog_eval", "distinct_n")
    assert source != notebooks.library_definition(module, name)


def test_no_notebook_prints_source_instead_of_teaching_it():
    for path in NOTEBOOKS:
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        assert "getsource" not in code, (
            f"{path.name} prints code with inspect.getsource: write it in a `# helpers.` cell"
        )


@pytest.mark.parametrize("number", ["02", "03", "04", "05"])
def test_model_notebooks_build_their_models_in_taught_cells(number):
    [path] = [p for p in NOTEBOOKS if p.name.startswith(f"{number}_")]
    names = {name for _, name, _ in notebooks.taught_definitions(path)}
    assert any(name.startswith("build") or name[0].isupper() for name in names), (
        f"{path.name} teaches no model builder or layer in a `# helpers.` cell (it teaches {sorted(names)})"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_run_time_in_the_prose_is_the_measured_one(path):
    """The introduction's "Run time: about N minutes" and README's "(measured: N s)" come from the last
    workshop run (`make notebooks` writes all three): a run time in prose cannot drift from the measured one."""
    recorded = notebooks.recorded_run_times()
    assert path.stem in recorded, f"{path.name} has no recorded workshop run: run `make notebooks`"
    seconds = recorded[path.stem]
    stated = notebooks.stated_run_time(nbformat.read(path, as_version=4))
    assert stated == notebooks.run_time_phrase(seconds), (
        f"{path.name} says 'Run time: {stated}' but its last workshop run took {seconds} s: run it with `make notebooks`"
    )
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.split("\n") if line.startswith(f"| [{path.stem}]("))
    assert f"(measured: {seconds} s)" in row, f"README's row for {path.stem} does not show the measured {seconds} s"


def test_run_time_phrase_and_recording(tmp_path, monkeypatch):
    assert notebooks.run_time_phrase(17) == "under a minute"
    assert notebooks.run_time_phrase(60) == "about 1 minute"
    assert notebooks.run_time_phrase(271) == "about 5 minutes"
    nb = _good_notebook()
    nb.cells[0].source = "# Title\n\nRun time: about 9 minutes in the workshop size."
    readme = tmp_path / "README.md"
    readme.write_text("| [00_tmp](notebooks/00_tmp.ipynb) | x | 9.0 (measured: 540 s) | none |\n", encoding="utf-8")
    monkeypatch.setattr(notebooks, "RUN_TIMES", tmp_path / "run_times.json")
    monkeypatch.setattr(notebooks.paths, "ROOT", tmp_path)
    notebooks.record_run_time(nb, tmp_path / "00_tmp.ipynb", 150.4)
    assert notebooks.stated_run_time(nb) == "about 3 minutes"
    assert notebooks.recorded_run_times() == {"00_tmp": 150}
    assert "| 2.5 (measured: 150 s) |" in readme.read_text(encoding="utf-8")


def test_a_copy_run_elsewhere_records_no_run_time(tmp_path, monkeypatch):
    """Running a copy (``/tmp/01_copy.ipynb``) must not write "01_copy" into run_times.json and README."""
    monkeypatch.setattr(notebooks, "RUN_TIMES", tmp_path / "run_times.json")
    copy = _write(_good_notebook(), tmp_path)
    assert notebooks.run(copy, timeout=120) > 0
    assert not (tmp_path / "run_times.json").exists()
    assert nbformat.read(copy, as_version=4).cells[-1].execution_count is not None  # it did run and save
