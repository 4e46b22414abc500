"""Property-based fuzzing of every pure entry point (targets in tests/fuzzing.py): a result or InvalidInput, nothing
else, for mutated real inputs. Fixed seed (``derandomize``): the same examples on every run, so CI is repeatable."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from rfi_news.errors import InvalidInput
from tests.fuzzing import TARGETS, Target


@pytest.mark.parametrize("target", TARGETS, ids=[target.name for target in TARGETS])
def test_a_result_or_invalid_input_nothing_else(target: Target) -> None:
    @settings(
        max_examples=target.examples,
        derandomize=True,
        database=None,
        deadline=None,  # a timing limit would make the test depend on the machine's load
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(value=target.strategy)
    def run(value: Any) -> None:
        with contextlib.suppress(InvalidInput):  # the one documented error; anything else fails the test
            target.call(value)

    run()


def test_the_targets_cover_every_pure_entry_point() -> None:
    names = {target.name for target in TARGETS}
    assert {
        "parse_archive_entry",
        "read_item_html",
        "read_body",
        "parse_feed_item",
        "read_feed",
        "read_sitemap",
        "merge_feed_and_page",
        "parse_listing",
        "parse_page",
        "normalize_text",
        "canonical_url",
        "to_utc_string",
        "retry_after_seconds",
    } <= names
