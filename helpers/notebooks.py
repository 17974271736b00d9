"""Maintainer tools for the notebooks: hygiene checks, clean metadata, clean re-execution.

Not taught in a notebook; used by the tests and by ``make notebooks``::

    python -m helpers.notebooks check notebooks/*.ipynb     # list hygiene problems, exit 1 if any
    python -m helpers.notebooks run notebooks/01_*.ipynb    # execute top to bottom (workshop size) and clean
    python -m helpers.notebooks sync notebooks/*.ipynb      # copy taught definitions from helpers/ into their cells

A workshop-size ``run`` writes how long it took into ``notebooks/run_times.json``, the notebook's
"Run time: about N minutes" line and README's table, so no run time in prose can drift from the
measured one (``tests/test_notebook_hygiene.py`` checks all three agree).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from . import paths

#: Notebook-level metadata we keep; everything else (widget state, editor settings) is stray.
ALLOWED_NOTEBOOK_METADATA = {"kernelspec", "language_info"}
#: Cell-level metadata we keep (tags are how nbval and readers mark cells).
ALLOWED_CELL_METADATA = {"tags"}
CHECK_MARKERS = ("# NBVAL_CHECK_OUTPUT", "assert ")
#: Seconds of each notebook's last workshop-size run (written by :func:`run`).
RUN_TIMES = paths.NOTEBOOKS / "run_times.json"
#: The run-time sentence of a notebook's introduction, and README's "minutes (measured: N s)" column.
RUN_TIME_PATTERN = re.compile(r"Run time: (about \d+ minutes?|under a minute)")
README_TIME_PATTERN = re.compile(r"\| [\d.]+ \(measured: \d+ s\) \|")


def run_time_phrase(seconds: float) -> str:
    """How a notebook's introduction states its run time: "under a minute" or "about N minutes"."""
    if seconds < 45:
        return "under a minute"
    minutes = max(1, int(seconds / 60 + 0.5))  # half a minute up, not to the even minute as round() would
    return f"about {minutes} minute{'s' if minutes > 1 else ''}"


def recorded_run_times() -> dict[str, float]:
    """``{notebook stem: seconds}`` of the last workshop-size runs (empty before the first)."""
    return json.loads(RUN_TIMES.read_text(encoding="utf-8")) if RUN_TIMES.exists() else {}


def stated_run_time(nb) -> str | None:
    """The run-time phrase of a notebook's introduction (its first markdown cells), or ``None``."""
    for cell in nb.cells[:4]:
        found = RUN_TIME_PATTERN.search(cell.source) if cell.cell_type == "markdown" else None
        if found:
            return found.group(1)
    return None


def record_run_time(nb, path: Path, seconds: float) -> None:
    """Write a workshop run's ``seconds`` into the introduction's run-time phrase, ``run_times.json`` and README.
    Whole seconds throughout, as ``run_times.json`` keeps them: 689.6 s would otherwise be "about 11 minutes" in the
    phrase and 690 s, "about 12 minutes", in the file the hygiene test reads."""
    seconds = round(seconds)
    phrase = run_time_phrase(seconds)
    for cell in nb.cells[:4]:
        if cell.cell_type == "markdown" and RUN_TIME_PATTERN.search(cell.source):
            cell.source = RUN_TIME_PATTERN.sub(f"Run time: {phrase}", cell.source, count=1)
            break
    times = {**recorded_run_times(), path.stem: round(seconds)}
    RUN_TIMES.write_text(json.dumps(dict(sorted(times.items())), indent=1) + "\n", encoding="utf-8")
    readme = paths.ROOT / "README.md"
    lines = readme.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        if line.startswith(f"| [{path.stem}]("):
            lines[i] = README_TIME_PATTERN.sub(f"| {seconds / 60:.1f} (measured: {round(seconds)} s) |", line, count=1)
    readme.write_text("\n".join(lines), encoding="utf-8")


def check(path: str | Path) -> list[str]:
    """Return the hygiene problems of one notebook (empty list when it is clean).

    Checks: kernel ``python3``; no error outputs; code cells executed 1..n in
    order; no stray notebook or cell metadata; at least one checked output
    (``# NBVAL_CHECK_OUTPUT``) or sanity ``assert``.
    """

    path = Path(path)
    problems = []
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # nbformat raises several types for broken files
        return [f"{path.name}: not a readable notebook ({err.__class__.__name__}: {err})"]
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"{path.name}: kernel is {kernel!r}, expected 'python3'")
    stray = sorted(set(nb.metadata) - ALLOWED_NOTEBOOK_METADATA)
    if stray:
        problems.append(f"{path.name}: stray notebook metadata {stray}")
    counts = []
    has_check = False
    for index, cell in enumerate(nb.cells):
        where = f"{path.name}: cell {index}"
        stray = sorted(set(cell.get("metadata", {})) - ALLOWED_CELL_METADATA)
        if stray:
            problems.append(f"{where}: stray cell metadata {stray}")
        if cell.cell_type != "code":
            continue
        if any(marker in cell.source for marker in CHECK_MARKERS):
            has_check = True
        counts.append(cell.get("execution_count"))
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"{where}: error output {output.get('ename')}: {output.get('evalue')}")
            if (
                output.get("output_type") == "stream"
                and output.get("name") == "stderr"
                and "Traceback" in "".join(output.get("text", ""))
            ):
                problems.append(f"{where}: a traceback in stderr")
    expected = list(range(1, len(counts) + 1))
    if counts != expected:
        problems.append(
            f"{path.name}: execution counts {counts} are not 1..{len(counts)} "
            f"(restart the kernel and run all, or `make notebooks`)"
        )
    if not has_check:
        problems.append(f"{path.name}: no checked output (# NBVAL_CHECK_OUTPUT) and no sanity assert")
    problems += [f"{path.name}: {problem}" for problem in recipe_problems(nb.cells)]
    return problems


#: A recipe's heading, ``## Recipe 4 · Where the model looks: attention``, and a mention of one in the prose or code:
#: "Recipe 9", "Recipes 8 and 9", or another notebook's, "notebook 04, Recipe 9" or "06_deployment (Recipe 4"
#: (groups: that notebook's number, either way, then the recipes); a mention may break across lines.
RECIPE_HEADING = re.compile(r"^## Recipe (\d+) ·", re.MULTILINE)
RECIPE_MENTION = re.compile(r"(?:notebook (\d\d),?\s+|(\d\d)_[a-z0-9_]+ \()?Recipes?\s+(\d+)(?:\s+and\s+(\d+))?")


#: The three parts of every recipe, and what a missing one should say.
RECIPE_PARTS = {
    "Problem": "say what it solves",
    "Solution": "say how",
    "Discussion": "say what the outputs show, the trade-offs and what to try",
}


def recipe_problems(cells) -> list[str]:
    """A notebook's recipes must be numbered 1, 2, 3, ... in order, each must state its **Problem.**, its
    **Solution.** and its **Discussion.** (the cookbook's form: what it solves, how, and what the reader should take from
    the outputs), and every "Recipe N" its cells mention (not "notebook 04, Recipe N", another
    notebook's) must be one of them: a recipe removed or merged leaves a gap or a dangling mention that a reader trips
    over."""
    numbers = [int(n) for cell in cells if cell.cell_type == "markdown" for n in RECIPE_HEADING.findall(cell.source)]
    problems = []
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"recipes are numbered {numbers}, not 1..{len(numbers)}: renumber them and their mentions")
    # each recipe's prose, from its heading to the next heading of level 1 or 2 (its ### sections are its own), states
    # its Problem, its Solution and its Discussion
    prose = "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
    for recipe in re.split(r"^(?=##? )", prose, flags=re.MULTILINE):
        found = RECIPE_HEADING.match(recipe)
        for part, what in RECIPE_PARTS.items() if found else ():
            if f"**{part}" not in recipe:
                problems.append(f"Recipe {found.group(1)} has no **{part}.**: {what}")
    for index, cell in enumerate(cells):
        for found in RECIPE_MENTION.finditer(cell.source):
            other_notebook, mentioned = found.group(1) or found.group(2), [int(n) for n in found.groups()[2:] if n]
            if other_notebook is None and any(n not in numbers for n in mentioned):
                problems.append(f"cell {index} mentions {found.group(0)!r}, which this notebook does not have")
    return problems


#: First line of a code cell whose definitions are the library's own (d2l's ``#@save``): ``# helpers.seq2seq``.
TAUGHT_PREFIX = "# helpers."


def taught_definitions(path: str | Path) -> list[tuple[str, str, str]]:
    """The functions and classes defined in a notebook's *taught* cells: ``(module, name, source)``.

    A taught cell starts with ``# helpers.MODULE``; every top-level ``def`` or ``class`` in it
    must be, to the character, the definition of the same name in ``helpers/MODULE.py``
    (:func:`library_definition`), so the reader edits and runs the real code and the server
    and the zoo use exactly what the notebook teaches.
    """

    out = []
    for cell in nbformat.read(Path(path), as_version=4).cells:
        first = cell.source.split("\n", 1)[0].strip() if cell.cell_type == "code" else ""
        if not first.startswith(TAUGHT_PREFIX):
            continue
        module = first[len("# ") :].split()[0]
        tree = ast.parse(cell.source)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                out.append((module, node.name, ast.get_source_segment(cell.source, node, padded=False)))
    return out


def library_definition(module: str, name: str) -> str | None:
    """The source of top-level ``name`` in ``helpers/<module>.py`` (read as text, not imported)."""

    source = (paths.ROOT / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return ast.get_source_segment(source, node, padded=False)
    return None


def sync_taught(path: str | Path) -> list[str]:
    """Copy each definition of a notebook's taught cells from ``helpers`` (library -> cell); save if changed.

    For a maintainer who changed a taught function in ``helpers/``: the cell gets the same
    text, so :func:`taught_definitions` and the hygiene test agree again (a reader who
    changed the cell copies it the other way). Returns ``MODULE.NAME`` of what changed.
    Outputs are kept; re-run the notebook if the change matters to them.
    """

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    changed = []
    for cell in nb.cells:
        first = cell.source.split("\n", 1)[0].strip() if cell.cell_type == "code" else ""
        if not first.startswith(TAUGHT_PREFIX):
            continue
        module = first[len("# ") :].split()[0]
        source = cell.source
        nodes = [n for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        for node in reversed(nodes):  # from the end, so earlier offsets stay valid
            old = ast.get_source_segment(source, node, padded=False)
            new = library_definition(module, node.name)
            if new is None or new == old:
                continue
            start = sum(len(line) + 1 for line in source.split("\n")[: node.lineno - 1]) + node.col_offset
            if node.decorator_list:  # the segment starts at the decorator
                start = sum(len(line) + 1 for line in source.split("\n")[: node.decorator_list[0].lineno - 1])
            start = source.index(old, start)
            source = source[:start] + new + source[start + len(old) :]
            changed.append(f"{module}.{node.name}")
        cell.source = source
    if changed:
        nbformat.write(nb, path)
    return changed


def clean(nb) -> None:
    """Drop stray notebook and cell metadata in place and set the kernel to ``python3``."""
    for key in set(nb.metadata) - ALLOWED_NOTEBOOK_METADATA:
        del nb.metadata[key]
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    for cell in nb.cells:
        for key in set(cell.get("metadata", {})) - ALLOWED_CELL_METADATA:
            del cell.metadata[key]


def run(path: str | Path, size: str = "workshop", timeout: int = 3600, out: str | Path | None = None) -> float:
    """Execute a notebook top to bottom in a fresh kernel (``COOKBOOK_SIZE=size``), clean it, save it.

    Saves over ``path`` unless ``out`` names another file (used for ``full``
    runs, whose outputs are not the committed workshop ones). Returns the seconds
    it took; a workshop run saved over one of ``notebooks/`` also records them (:func:`record_run_time`).
    The kernel runs in the notebook's folder, as in Jupyter.
    """

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    clean(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    previous = os.environ.get("COOKBOOK_SIZE")
    os.environ["COOKBOOK_SIZE"] = size
    start = time.perf_counter()
    try:
        NotebookClient(
            nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute()
    finally:
        if previous is None:
            os.environ.pop("COOKBOOK_SIZE", None)
        else:
            os.environ["COOKBOOK_SIZE"] = previous
    seconds = time.perf_counter() - start
    clean(nb)
    if size == "workshop" and out is None and path.resolve().parent == paths.NOTEBOOKS.resolve():
        record_run_time(nb, path, seconds)  # the committed run: its time goes into the prose (not a copy's elsewhere)
    target = Path(out) if out is not None else path
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.notebooks")
    parser.add_argument(
        "command",
        choices=["check", "run", "sync"],
        help="sync: copy taught definitions from helpers/ into the cells that start `# helpers.MODULE`",
    )
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--size", default="workshop", choices=["ci", "workshop", "full"])
    parser.add_argument("--out", type=Path, default=None, help="write the executed notebook here (one notebook only)")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.notebooks if not path.is_file()]
    if missing and args.command != "check":  # check reports each unreadable notebook among its problems
        parser.error(f"no such notebook: {', '.join(missing)} (give paths like notebooks/04_seq2seq_chatbot.ipynb)")
    if args.command == "check":
        problems = [problem for path in args.notebooks for problem in check(path)]
        print("\n".join(problems) or f"{len(args.notebooks)} notebooks clean")
        return 1 if problems else 0
    if args.command == "sync":
        for path in args.notebooks:
            print(f"{path}: " + (", ".join(sync_taught(path)) or "in sync"))
        return 0
    if args.out is not None and len(args.notebooks) != 1:
        parser.error("--out takes one notebook")
    for path in args.notebooks:
        print(f"running {path} (COOKBOOK_SIZE={args.size}) ...", flush=True)
        print(f"  done in {run(path, size=args.size, out=args.out):.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
