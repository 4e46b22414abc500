"""Scrapy contracts for the project's callbacks (``scrapy check``), run against the bundled fixtures offline.

``@fixture PATH [ARTICLE_URL]`` stands in for ``@url``: the callback's request is for the file at ``PATH``
(relative to the project folder, the one holding ``scrapy.cfg``), and, for an article page, carries the
article's canonical URL as the crawl's requests do (``rfi_article_url``). With Scrapy's ``@returns``,
``@scrapes`` and ``@cb_kwargs`` it checks a callback on a real page or feed without the network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.contracts import Contract
from scrapy.utils.conf import closest_scrapy_cfg

from rfi_news.middlewares import ARTICLE_URL_META


def project_folder() -> Path:
    config = closest_scrapy_cfg()
    return Path(config).parent if config else Path.cwd()


class FixtureContract(Contract):
    """``@fixture tests/fixtures/rfi/page.html https://www.rfi.fr/cn/…``"""

    name = "fixture"

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        path, *article_url = self.args
        args["url"] = (project_folder() / path).resolve().as_uri()
        if article_url:
            args["meta"] = {**(args.get("meta") or {}), ARTICLE_URL_META: article_url[0]}
        return args
