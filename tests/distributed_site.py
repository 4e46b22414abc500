"""A sitemap month of many article pages, written by text substitution from the reconstructed site's files.

The 2024-02 sitemap of tests/fixtures/site lists four articles; the distributed tests and benchmark need
hundreds. :func:`build_month_site` copies the site's ``robots.txt`` and sitemap index, and writes ``count``
article pages from one reconstructed article page (tests/fixtures/site/cn/中国/20240226-…) by replacing, as
plain text, its URL (percent-encoded, as the page writes it), its title, and the start of its first paragraph,
then lists them in ``sitemaps/cn/contents_202402.xml``. None of the project's code is used: what a test expects
of each article (:class:`MonthArticle`) comes from the same substitutions.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

SITE = Path(__file__).resolve().parent / "fixtures" / "site"
TEMPLATE_PATH = "/cn/中国/20240226-中国今称不同意美国因中国援俄制裁中国"
TEMPLATE_TITLE = "中国今称不同意美国因中国援俄制裁中国"
TEMPLATE_FIRST_PARAGRAPH = "<p>据路透社今天报道称"


@dataclass(frozen=True)
class MonthArticle:
    number: int

    @property
    def path(self) -> str:
        """Decoded, as the fixture server records it."""
        return f"{TEMPLATE_PATH}-{self.number:04d}"

    @property
    def url(self) -> str:
        """The canonical URL a record must carry."""
        return "https://www.rfi.fr" + quote(self.path, safe="/")

    @property
    def title(self) -> str:
        return f"第{self.number}篇：{TEMPLATE_TITLE}"


def build_month_site(root: Path, count: int) -> list[MonthArticle]:
    """Write the site under ``root``; return its articles in sitemap order."""
    template = (SITE / TEMPLATE_PATH.lstrip("/")).read_text(encoding="utf-8")
    template_url = "https://www.rfi.fr" + quote(TEMPLATE_PATH, safe="/")
    assert template.count(template_url) == 3
    assert template.count(TEMPLATE_FIRST_PARAGRAPH) == 1
    (root / "sitemaps" / "cn").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SITE / "robots.txt", root / "robots.txt")
    shutil.copyfile(SITE / "sitemaps" / "cn" / "index.xml", root / "sitemaps" / "cn" / "index.xml")
    articles = [MonthArticle(number) for number in range(1, count + 1)]
    folder = root / "cn" / "中国"
    folder.mkdir(parents=True, exist_ok=True)
    for article in articles:
        page = (
            template.replace(template_url, article.url)
            .replace(TEMPLATE_TITLE, article.title)
            .replace(TEMPLATE_FIRST_PARAGRAPH, f"<p>（第{article.number}篇）据路透社今天报道称")
        )
        (root / article.path.lstrip("/")).write_text(page, encoding="utf-8")
    entries = "".join(
        f"<url><loc>{article.url}</loc><lastmod>2024-02-26T10:01:00+00:00</lastmod></url>\n" for article in articles
    )
    (root / "sitemaps" / "cn" / "contents_202402.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + entries + "</urlset>\n",
        encoding="utf-8",
    )
    return articles
