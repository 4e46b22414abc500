"""``rfi-news``: Scrapy's command line on the project's settings, from any folder.

``rfi-news crawl archive -a path=…``, ``rfi-news spiders``, ``rfi-news check``… are ``scrapy …`` with the
installed project: no ``scrapy.cfg`` and no ``SCRAPY_SETTINGS_MODULE`` needed. A site's own settings module
(``from rfi_news.settings import *`` and its changes) is used when ``SCRAPY_SETTINGS_MODULE`` names it. Relative
paths (``output/``, ``-a path=…``) are the working folder's.
"""

from __future__ import annotations

import os
import sys

SETTINGS_MODULE = "rfi_news.settings"


def main(argv: list[str] | None = None) -> None:
    # Named before Scrapy looks for a scrapy.cfg: the working folder (a project of its own, or none) does not
    # change the settings.
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    from scrapy.cmdline import execute

    execute(["rfi-news", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
