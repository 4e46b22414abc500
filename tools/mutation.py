"""Mutation testing of the pure layers (``rfi_news/normalize/``, ``rfi_news/parsers/``, ``merge.py``) with mutmut.

Not run by CI (it takes minutes per module on one core). Each run works in a scratch copy of the project, so the
working tree is never touched, and runs the fast unit tests only (no crawl subprocess, which would not see the
mutant)::

    pip install -r tools/requirements-mutation.txt
    python tools/mutation.py rfi_news/normalize/times.py rfi_news/normalize/urls.py
    python tools/mutation.py --all                     # every module of normalize/ and parsers/, one at a time
    python tools/mutation.py --all --survivors         # and list each surviving mutant's diff

Per module it prints killed / survived / timeout / no tests, and the score (killed + timeout over all mutants).

A mutant survives only if the whole test files that exercise it pass with it. mutmut runs each mutant against the
tests it saw call the mutated function, which misses every test that reads a cached value (a module-scoped fixture,
an ``lru_cache``): the function ran once, inside the file's first test. So each module is run twice: the first pass
as mutmut does it, then every survivor again against the whole files of its tests (a "no tests" mutant against
every unit file), named by file (``tools/mutation_whole_files.py``).

The mutants judged equivalent (no test can tell them apart from the original) are listed, with why, in
``tools/mutation-equivalent.md``; ``--survivors`` shows the rest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The fast unit tests of the pure layers and of the pipelines over them (seconds, no subprocess crawl).
UNIT_TESTS = (
    "tests/test_normalize_text.py",
    "tests/test_times.py",
    "tests/test_urls.py",
    "tests/test_parsers.py",
    "tests/test_page_parser.py",
    "tests/test_listing_parser.py",
    "tests/test_merge.py",
    "tests/test_pipelines.py",
    "tests/test_item_records.py",
    "tests/test_items.py",
    "tests/test_item_templates.py",
    "tests/test_hostile_parsers.py",
)
# The pure layers: every module of normalize/ and parsers/, and the feed + page merge rule.
MODULES = sorted(
    [
        *(
            str(path.relative_to(PROJECT_ROOT))
            for folder in ("rfi_news/normalize", "rfi_news/parsers")
            for path in (PROJECT_ROOT / folder).glob("*.py")
            if path.name != "__init__.py"
        ),
        "rfi_news/merge.py",
    ]
)


def scratch_copy(module: str) -> Path:
    """A copy of the project with a ``setup.cfg`` that points mutmut at ``module`` and the unit tests."""
    work = Path(tempfile.mkdtemp(prefix="rfi-mutation-"))
    for name in ("rfi_news", "tests"):
        shutil.copytree(PROJECT_ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "site"))
    shutil.copytree(PROJECT_ROOT / "tests" / "fixtures" / "site", work / "tests" / "fixtures" / "site")
    shutil.copy(PROJECT_ROOT / "pyproject.toml", work / "pyproject.toml")
    shutil.copy(PROJECT_ROOT / "tools" / "mutation_whole_files.py", work / "rfi_mutation_whole_files.py")
    tests = "\n    ".join(test for test in UNIT_TESTS if (PROJECT_ROOT / test).exists())
    (work / "setup.cfg").write_text(
        "[mutmut]\n"
        "source_paths = rfi_news\n"
        f"only_mutate = {module}\n"
        f"pytest_add_cli_args_test_selection =\n    {tests}\n"
        "pytest_add_cli_args = -p no:cacheprovider -q -p rfi_mutation_whole_files\n",
        encoding="utf-8",
    )
    return work


def mutmut(work: Path, *args: str, capture: bool = False, whole_files: bool = False) -> str:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "RFI_MUTATION_WHOLE_FILES": "1" if whole_files else "0"}
    done = subprocess.run(
        [sys.executable, "-m", "mutmut", *args],
        cwd=work,
        env=env,
        check=False,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        text=True,
    )
    return done.stdout or ""


def not_killed(work: Path) -> list[tuple[str, str]]:
    """(name, status) of every mutant no test failed for: survived, or no test called its function."""
    found = []
    for line in mutmut(work, "results", capture=True).splitlines():
        name, _, status = line.strip().partition(": ")
        if status in ("survived", "no tests"):
            found.append((name, status))
    return found


def widen_to_whole_files(work: Path, mutants: list[str]) -> None:
    """Map each of ``mutants``' functions to every test of the files its tests are in (every unit test if none).

    mutmut's own map misses the tests that read a cached value (a module-scoped fixture, an ``lru_cache``): the
    function ran once, inside the file's first test.
    """
    stats_file = work / "mutants" / "mutmut-stats.json"
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    tests_by_file: dict[str, list[str]] = {}
    for test in sorted(stats["duration_by_test"]):
        tests_by_file.setdefault(test.partition("::")[0], []).append(test)
    mapped = stats["tests_by_mangled_function_name"]
    for name in mutants:
        function = name.partition("__mutmut_")[0]
        files = {test.partition("::")[0] for test in mapped.get(function, [])} or set(tests_by_file)
        mapped[function] = [test for file in sorted(files) for test in tests_by_file.get(file, [])]
    stats_file.write_text(json.dumps(stats, indent=4), encoding="utf-8")


def run_module(module: str, survivors: bool) -> dict[str, int]:
    work = scratch_copy(module)
    try:
        mutmut(work, "run", "--max-children", "1")
        second = [name for name, _ in not_killed(work)]
        if second:
            widen_to_whole_files(work, second)
            mutmut(work, "run", "--max-children", "1", *second, whole_files=True)
        mutmut(work, "export-cicd-stats")
        stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text(encoding="utf-8"))
        stats["first_pass_not_killed"] = len(second)
        if survivors:
            for name, status in not_killed(work):
                print(f"--- {name}: {status}\n{mutmut(work, 'show', name, capture=True)}")
        return stats
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="files under normalize/ or parsers/, or rfi_news/merge.py")
    parser.add_argument("--all", action="store_true", help="every module of normalize/ and parsers/, and merge.py")
    parser.add_argument("--survivors", action="store_true", help="print the diff of every surviving mutant")
    args = parser.parse_args()
    modules = MODULES if args.all else args.modules
    if not modules:
        parser.error("name modules or pass --all")
    total = {"killed": 0, "survived": 0, "timeout": 0, "no_tests": 0, "total": 0}
    for module in modules:
        stats = run_module(module, args.survivors)
        for key in total:
            total[key] += int(stats.get(key, 0))
        caught = int(stats.get("killed", 0)) + int(stats.get("timeout", 0))
        score = caught / stats["total"] if stats.get("total") else 0.0
        print(
            f"{module}: {stats.get('total', 0)} mutants, killed {stats.get('killed', 0)}, survived "
            f"{stats.get('survived', 0)}, timeout {stats.get('timeout', 0)}, no tests {stats.get('no_tests', 0)}: "
            f"{score:.1%} (first pass left {stats['first_pass_not_killed']} for whole files)",
            flush=True,
        )
    caught = total["killed"] + total["timeout"]
    print(f"all: {total['total']} mutants, {caught} killed: {caught / max(total['total'], 1):.1%}")


if __name__ == "__main__":
    main()
