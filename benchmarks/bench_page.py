"""The article-page and listing parsers alone, against a bare parse of the same HTML, on the page fixtures.

Input: the reconstructed article pages of ``tests/fixtures/pages`` (``cn_*``) and the real ones of
``tests/fixtures/rfi`` (2020-25 templates) for ``parse_page``; the real 2025 home page for ``parse_listing``. The yardstick is
``parsel.Selector(text=html)``, the parse both parsers start with. Timing as in ``bench_parser.py``: the
contenders take turns for ``--repeat`` short measurements of ``--loops`` passes each, the best one kept.

    python benchmarks/bench_page.py
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

from parsel import Selector

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from rfi_news.parsers.listing import parse_listing  # noqa: E402
from rfi_news.parsers.page import parse_page  # noqa: E402

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
PAGE_URL = "https://www.rfi.fr/cn/中国/20250101-x"
HOME_URL = "https://www.rfi.fr/cn/"


def best_of(function: Callable[[], object], loops: int) -> float:
    gc.collect()
    start = time.perf_counter()
    for _ in range(loops):
        function()
    return (time.perf_counter() - start) / loops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    pages = [path.read_text("utf-8") for path in sorted(FIXTURES.glob("pages/cn_*.html"))]
    pages += [path.read_text("utf-8") for path in sorted(FIXTURES.glob("rfi/cn_article_*.html"))]
    home = (FIXTURES / "rfi" / "cn_home_2025-11-30_pretty.html").read_text("utf-8")
    contenders: dict[str, Callable[[], object]] = {
        "parsel (pages)": lambda: [Selector(text=html) for html in pages],
        "parse_page": lambda: [parse_page(html, PAGE_URL) for html in pages],
        "parsel (home)": lambda: Selector(text=home),
        "parse_listing": lambda: parse_listing(home, HOME_URL),
    }
    best = dict.fromkeys(contenders, float("inf"))
    names = list(contenders)
    for round_number in range(args.repeat):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            best[name] = min(best[name], best_of(contenders[name], args.loops))
    print(
        f"bench_page: {len(pages)} article pages, 1 home page, best of {args.repeat}, python {sys.version.split()[0]}"
    )
    print(f"{'':22}{'µs/page':>10}{'x parse':>10}")
    for name, yardstick in (
        ("parsel (pages)", "parsel (pages)"),
        ("parse_page", "parsel (pages)"),
        ("parsel (home)", "parsel (home)"),
        ("parse_listing", "parsel (home)"),
    ):
        count = len(pages) if "page" in name and "home" not in name else 1
        print(f"{name:22}{best[name] / count * 1e6:10.1f}{best[name] / best[yardstick]:9.2f}x")


if __name__ == "__main__":
    main()
