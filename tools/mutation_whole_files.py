"""pytest plugin for the second pass of ``tools/mutation.py``: run whole test files, not a list of test ids.

mutmut hands each mutant's tests to pytest as node ids. For the second pass the mutant's tests are whole files,
and pytest resolves hundreds of ids several times slower than it runs the same tests named by their files (the
860 unit tests: 14 s against 3 s). With ``RFI_MUTATION_WHOLE_FILES=1`` each ``file::test`` argument
becomes its file, once; without it the plugin changes nothing, so mutmut's first pass and its stats are its own.
"""

from __future__ import annotations

import os

import pytest


def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    if os.environ.get("RFI_MUTATION_WHOLE_FILES") != "1":
        return
    seen: set[str] = set()
    whole = []
    for arg in args:
        if "::" in arg:
            arg = arg.partition("::")[0]
            if arg in seen:
                continue
            seen.add(arg)
        whole.append(arg)
    args[:] = whole
