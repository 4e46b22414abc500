"""The pure parsers, tested with strings: no Scrapy engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from rfi_news.errors import InvalidInput
from rfi_news.parsers.archive import ArchiveFormatError, parse_archive_entry
from rfi_news.parsers.body import MAX_DEPTH, holdable, parse_fragment, read_body
from rfi_news.parsers.item import read_item_html, usable_image
from rfi_news.parsers.rss import FeedEntry, read_feed
from rfi_news.parsers.sitemap import read_sitemap
from tests.conftest import ARCHIVE_DIR, FIXTURES

SEED = (ARCHIVE_DIR / "seed_rfi_20231230.md").read_text(encoding="utf-8")


def external_entity_document(folder: Path, root: str, body: str) -> bytes:
    """``body`` after a DTD whose entity ``&e;`` is a local file holding ``SECRET``: what a reader must not read."""
    secret = folder / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    return (f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY e SYSTEM "{secret.as_uri()}">]>' + body).encode()


class TestArchiveEntry:
    def test_seed(self) -> None:
        entry = parse_archive_entry(SEED)
        assert entry.epoch_ms == 1703927701000
        assert entry.title == "日本加强与中俄博弈 推进明年举行日本与中亚五国首脑峰会"
        assert entry.link.startswith("https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/20231230-")
        assert entry.description.startswith("<div>30/12/2023 - 10:05</div><img src=")
        assert not entry.truncated

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("", "empty"),
            ("  \n\n", "empty"),
            ("# Notes\n\nnothing here\n", "no_epoch_line"),
            ("<!--1703927701000-->\n", "no_header"),
            ("<!--1703927701000-->\ntitle without link\n------\n\n<p>x</p>", "no_title_line"),
            ("<!--1703927701000-->\n[t](https://www.rfi.fr/cn/x)\n===\n\n<p>x</p>", "no_rule_line"),
        ],
    )
    def test_not_an_archive_item(self, text: str, reason: str) -> None:
        with pytest.raises(ArchiveFormatError) as caught:
            parse_archive_entry(text)
        assert caught.value.reason == reason

    def test_truncated(self) -> None:
        assert parse_archive_entry(SEED[:2000]).truncated

    # The detail goes into the WARNING that names the dropped file: it says which line is wrong and quotes its
    # first 60 characters.
    @pytest.mark.parametrize(
        ("text", "reason", "detail"),
        [
            (b"<!--1703927701000-->", "not_text", "bytes, not a string"),
            (None, "not_text", "NoneType, not a string"),
            (" \n", "empty", "the file holds no text"),
            ("<!--1703927701000-->\n[t](https://www.rfi.fr/cn/x)", "no_header", "fewer than three lines"),
            (
                "# duty-machine/news: the RFI Chinese feed, one Markdown file per item since 2019\n\n\n",
                "no_epoch_line",
                # 21 + 22 + 17 characters: the space after "file" is the 61st.
                "line 1 is not <!--epoch ms-->: '# duty-machine/news: the RFI Chinese feed, one Markdown file'",
            ),
            (
                "<!--1703927701000-->\n" + "标题" * 40 + "\n------\n",
                "no_title_line",
                "line 2 is not [title](link): '" + "标题" * 30 + "'",
            ),
            (
                "<!--1703927701000-->\n[t](https://www.rfi.fr/cn/x)\n"
                "==================================================================\n",
                "no_rule_line",
                "line 3 is not ------: '" + "=" * 60 + "'",
            ),
        ],
    )
    def test_what_is_wrong_is_said(self, text: str, reason: str, detail: str) -> None:
        with pytest.raises(ArchiveFormatError) as caught:
            parse_archive_entry(text)
        assert (caught.value.reason, caught.value.detail) == (reason, detail)

    def test_the_entry_as_the_feed_carried_it(self) -> None:
        text = "<!--1703927701000-->\n[标题](https://www.rfi.fr/cn/x/20231230-y)\n------\n\n<p>正文</p>"
        assert parse_archive_entry(text).feed_item() == {
            "link": "https://www.rfi.fr/cn/x/20231230-y",
            "title": "标题",
            "description": "<p>正文</p>",
            "feed_published": 1703927701000,
            "source": "archive",
        }

    def test_three_lines_and_no_description_is_an_empty_cut_item(self) -> None:
        entry = parse_archive_entry("<!--1703927701000-->\n[标题](https://www.rfi.fr/cn/x)\n------")
        assert (entry.epoch_ms, entry.title, entry.link) == (1703927701000, "标题", "https://www.rfi.fr/cn/x")
        assert (entry.description, entry.truncated) == ("", True)

    def test_a_byte_order_mark_before_the_epoch_line_is_read_past(self) -> None:
        entry = parse_archive_entry("\ufeff" + SEED)
        assert entry.epoch_ms == 1703927701000
        assert entry.title == "日本加强与中俄博弈 推进明年举行日本与中亚五国首脑峰会"

    def test_only_a_byte_order_mark_is_read_past(self) -> None:
        with pytest.raises(ArchiveFormatError) as caught:
            parse_archive_entry("X" + SEED)
        assert caught.value.reason == "no_epoch_line"


class TestItemReader:
    def test_head_of_the_seed_item(self) -> None:
        content = read_item_html(parse_archive_entry(SEED).description)
        assert content.published_raw == "30/12/2023 - 10:05"
        assert content.image.endswith("/w:1280/p:16x9/2014-09-03_JAPAN-POLITICS-1.JPG")
        assert content.lead.startswith("据多方人士透露，")
        assert len(content.paragraphs) == 5
        assert content.authors == []
        assert content.credit is None

    def test_array_in_place_of_the_image(self) -> None:
        content = read_item_html("<div>15/12/2021 - 15:45</div>Array<p><strong>导语</strong></p><div><p>正文</p></div>")
        assert content.image is None
        assert content.lead == "导语"
        assert content.paragraphs == ["正文"]

    def test_empty_lead(self) -> None:
        content = read_item_html("<div>28/08/2023 - 22:35</div><p><strong></strong></p><div><p>正文</p></div>")
        assert content.lead == ""
        assert content.paragraphs == ["正文"]

    def test_a_first_paragraph_with_more_than_strong_is_no_lead(self) -> None:
        content = read_item_html("<div>28/08/2023 - 22:35</div><p><strong>小标题</strong>正文</p>")
        assert content.lead is None
        assert content.paragraphs == ["小标题正文"]

    def test_comments_before_the_head_are_passed_over(self) -> None:
        content = read_item_html(
            "<!-- a --><div>15/12/2021 - 15:45</div><!-- b --><p><strong>导语</strong></p><p>正文</p>"
        )
        assert (content.published_raw, content.lead, content.paragraphs) == ("15/12/2021 - 15:45", "导语", ["正文"])

    def test_no_date_line(self) -> None:
        content = read_item_html("<p><strong>导语</strong></p><div><p>正文</p></div>")
        assert content.published_raw is None
        assert content.lead == "导语"

    def test_author_block_gives_authors_not_paragraphs(self) -> None:
        markup = (
            "<div>28/05/2023 - 14:09</div><div><p>正文</p></div><div><div><div><span>作者：</span>"
            '<a href="/cn/%E4%BD%9C%E8%80%85/%E8%89%BE%E5%A8%83/" title="艾娃">艾娃</a></div></div></div>'
        )
        content = read_item_html(markup)
        assert content.authors == ["艾娃"]
        assert content.paragraphs == ["正文"]

    def test_empty_description(self) -> None:
        assert read_item_html("").paragraphs == []
        # Text with no element at all: no head to take, no block to read.
        assert (read_item_html("只有文字").lead, read_item_html("只有文字").paragraphs) == (None, [])

    @pytest.mark.parametrize(
        ("url", "usable"),
        [
            ("https://static.rfi.fr/meta_og_twcards/RFI_FB.png", False),
            ("data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", False),
            ("Array", False),
            ("", False),
            ("   ", False),
            (None, False),
            (" Array ", False),
            ("https://s.rfi.fr/media/display/x/w:1280/p:16x9/a.jpg", True),
            (" https://s.rfi.fr/media/display/x/w:1280/p:16x9/a.jpg\n", True),
        ],
    )
    def test_usable_image(self, url: str | None, usable: bool) -> None:
        assert usable_image(url) == (url.strip() if usable and url else None)


class TestBodyReader:
    def test_inline_tags_join_without_separator_and_br_is_a_space(self) -> None:
        body = read_body(parse_fragment("<p><span>36</span>亿<br>美元</p>"))
        assert body.paragraphs == ["36亿 美元"]

    def test_a_block_holding_blocks_gives_way_to_them(self) -> None:
        body = read_body(parse_fragment("<blockquote>引言<p>第一段</p>中间<p>第二段</p></blockquote>"))
        assert body.paragraphs == ["引言", "第一段", "中间", "第二段"]

    @pytest.mark.parametrize(
        ("markup", "paragraphs"),
        [
            # A block holding blocks, with no text of its own: only its blocks.
            ("<blockquote><p>一</p><p>二</p></blockquote>", ["一", "二"]),
            # Its loose inline text between the blocks: joined with no separator, <br> a space, skipped tags empty,
            # a comment nothing (its tail kept).
            ("<blockquote>前<span>中</span>后<p>段</p></blockquote>", ["前中后", "段"]),
            ("<blockquote><span>中</span><p>段</p></blockquote>", ["中", "段"]),
            ("<blockquote>前<br>后<p>段</p></blockquote>", ["前 后", "段"]),
            ("<blockquote>前<script>x()</script>后<p>段</p></blockquote>", ["前后", "段"]),
            ("<blockquote>前<!-- c -->后<p>段</p></blockquote>", ["前后", "段"]),
            # Loose text after the last inner block is a text of its own, its inline parts joined.
            ("<blockquote><p>段</p>后<span>记</span></blockquote>", ["段", "后记"]),
            # A list item holding one nested list: the item's text, then the nested items.
            ("<ul><li>项<ul><li>子项</li></ul></li></ul>", ["项", "子项"]),
            # Inline <strong>/<a> inside a plain paragraph are part of it, not paragraphs of their own.
            ("<p>前<strong>强调</strong><a href='/cn/x'>链接</a>后</p>", ["前强调链接后"]),
            ("<div><p>前<strong>强调</strong>后</p><p>二</p></div>", ["前强调后", "二"]),
        ],
    )
    def test_blocks_and_their_inline_text(self, markup: str, paragraphs: list[str]) -> None:
        assert read_body(parse_fragment(markup)).paragraphs == paragraphs

    @pytest.mark.parametrize(
        ("markup", "authors"),
        [
            # A page's author link: its title, not its padded text.
            ('<div class="m-from-author"><a class="m-from-author__name" title="左依">\n 左依 \n</a></div>', ["左依"]),
            # A feed item's 作者： line, its label after white space: the links beside it, title else text.
            ('<div><span>\n 作者：</span><a title="流芳">x</a><a>珍妮特</a></div>', ["流芳", "珍妮特"]),
            # A name that is only white space is no name.
            ('<div class="m-from-author"><a class="m-from-author__name"> </a></div>', []),
            # A comment that reads like the label is no author block.
            ('<div><!--作者：--><a title="某人">某人</a></div>', []),
            # ... also when a real label follows it.
            (
                '<div><!--作者：--><a title="某人">某人</a></div><div><span>作者：</span><a title="流芳">流芳</a></div>',
                ["流芳"],
            ),
            # The label as the tree holds it, however the markup spelled it: character references, a stray end
            # tag between its characters (libxml2 joins the text), a control character (dropped).
            ('<div><span>&#20316;&#32773;&#xFF1A;</span><a title="王">王</a></div>', ["王"]),
            ('<div><span>作者</b>：</span><a title="王">王</a></div>', ["王"]),
            ('<div><span>作\x01者：</span><a title="王">王</a></div>', ["王"]),
            # The label inside a page's author block: its names come from their class, once.
            (
                '<div class="m-from-author"><span>作者：</span><a class="m-from-author__name" title="左依">左依</a></div>',
                ["左依"],
            ),
        ],
    )
    def test_authors(self, markup: str, authors: list[str]) -> None:
        assert read_body(parse_fragment(markup)).authors == authors

    def test_lists_and_headings(self) -> None:
        body = read_body(parse_fragment("<h2>小标题</h2><ul><li>一</li><li>二</li></ul>"))
        assert body.paragraphs == ["小标题", "一", "二"]

    @pytest.mark.parametrize(
        "junk",
        [
            "<figure><figcaption><span>图片说明</span></figcaption></figure>",
            '<div class="m-interstitial"><p>继续浏览后续</p></div>',
            '<div class="o-self-promo o-self-promo--nl"><p>电邮新闻</p></div>',
            "<div data-selfpromo-app><p>下载法广应用程序跟踪国际时事</p></div>",
            '<div class="m-block-ad"><p>广告</p></div>',
            "<p><button>继续浏览后续</button></p>",
            "<script>var x = 1;</script><style>p{}</style><noscript><p>x</p></noscript>",
            "<div><div>分享 :</div><div><a href='whatsapp://send?text=x'><span></span></a></div></div>",
            "<div>获取更多RSS：<br><a href='https://feedx.net'>https://feedx.net</a></div>",
            # The author block of a feed item (zll0257-news_rfi_999973.md): its name goes to authors, not here.
            '<div><div><div><div><span>作者：</span><a href="/cn/x/" title="流芳">流芳</a></div></div></div></div>',
            # Related reading (dm-news_rfi_1040000.md), also after white space or a zero-width character.
            '<p>延伸阅读：<a href="/cn/x">别的文章</a></p>',
            "<p>\u00a0 \u200b延伸阅读：<a href='/cn/y'>另一篇</a></p>",
            # Blocks with no words.
            "<p>.</p>",
            "<p> </p>",
            "<p>\u00a0\u3000</p>",
            "<li>——</li>",
            "<h2>。…</h2>",
            "<p>\u200b</p>",
            "<p></p>",
        ],
    )
    def test_junk_is_left_out(self, junk: str) -> None:
        body = read_body(parse_fragment(f"<p>前</p>{junk}<p>后</p>"))
        assert body.paragraphs == ["前", "后"]

    @pytest.mark.parametrize(
        "text",
        ["正文延伸阅读", "关于延伸阅读的说明", "A", "3", "_x", "，好。"],
    )
    def test_a_block_with_words_is_body_text(self, text: str) -> None:
        assert read_body(parse_fragment(f"<p>{text}</p>")).paragraphs == [text]

    def test_a_name_given_twice_is_read_twice_for_the_labels_pipeline_to_drop(self) -> None:
        markup = '<div class="m-from-author"><a class="m-from-author__name" title="左依">左依</a></div>' * 2
        assert read_body(parse_fragment(markup)).authors == ["左依", "左依"]

    def test_copyright_goes_to_credit(self) -> None:
        body = read_body(parse_fragment('<div><p>正文</p><p class="t-copyright">© 2021 AFP</p></div>'))
        assert body.paragraphs == ["正文"]
        assert body.credit == "© 2021 AFP"

    def test_paragraphs_after_an_early_closed_container(self) -> None:
        # The shape of dm-news_fagu_1045000.md: the body container closes before the paragraphs.
        markup = (
            '<div class="t-content__body u-clearfix"><div class="m-interstitial"></div></div></div>'
            '<button class="m-interstitial__unlock-btn">继续浏览后续</button></div><p>第一段</p><p>第二段</p>'
        )
        assert read_body(parse_fragment(markup)).paragraphs == ["第一段", "第二段"]


class TestFeedReader:
    def test_reconstructed_feed(self) -> None:
        document = read_feed((FIXTURES / "feeds" / "feedx_rfi.xml").read_bytes())
        assert document.readable
        assert document.error is None
        assert document.encoding == "utf-8"  # the declaration says UTF-8; w3lib resolves the label
        assert len(document.entries) == 12
        first = document.entries[0]
        assert first.title == "日本加强与中俄博弈 推进明年举行日本与中亚五国首脑峰会"
        assert first.pub_date == "Sat, 30 Dec 2023 09:15:01 GMT"
        assert first.description.startswith("<div>30/12/2023 - 10:05</div>")

    def test_cdata_and_escaped_descriptions_read_the_same(self) -> None:
        html = '<div>30/12/2023 - 10:05</div><p><strong>导语 &amp; "引号"</strong></p>'
        escaped = html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        for description in (f"<![CDATA[{html}]]>", escaped):
            feed = f'<?xml version="1.0"?><rss><channel><item><description>{description}</description></item></channel></rss>'
            assert read_feed(feed.encode()).entries[0].description == html

    def test_broken_xml_keeps_only_whole_items(self) -> None:
        document = read_feed((FIXTURES / "feeds" / "feedx_rfi_broken.xml").read_bytes())
        assert document.readable
        assert document.error is not None
        assert len(document.entries) == 3

    def test_html_is_not_a_feed(self) -> None:
        assert not read_feed((FIXTURES / "feeds" / "not_a_feed.html").read_bytes()).readable

    def test_garbage_is_not_a_feed(self) -> None:
        document = read_feed(b"\x00\xff not xml at all")
        assert not document.readable
        assert document.entries == []

    def test_link_of_the_first_item(self) -> None:
        first = read_feed((FIXTURES / "feeds" / "feedx_rfi.xml").read_bytes()).entries[0]
        assert first.link == (
            "https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/20231230-%E6%97%A5%E6%9C%AC%E5%8A%A0%E5%BC%BA%E4%B8%8E%E4%B8%AD"
            "%E4%BF%84%E5%8D%9A%E5%BC%88-%E6%8E%A8%E8%BF%9B%E6%98%8E%E5%B9%B4%E4%B8%BE%E8%A1%8C%E6%97%A5%E6%9C%AC%E4"
            "%B8%8E%E4%B8%AD%E4%BA%9A%E4%BA%94%E5%9B%BD%E9%A6%96%E8%84%91%E5%B3%B0%E4%BC%9A"
        )

    def test_rss_1_0_items_in_a_namespace_are_read(self) -> None:
        feed = (
            b'<?xml version="1.0" encoding="utf-8"?>'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
            b'<channel rdf:about="https://www.rfi.fr/cn/"><title>RFI</title></channel>'
            b'<item rdf:about="https://www.rfi.fr/cn/a/20240101-a"><title>\xe6\xa0\x87\xe9\xa2\x98</title>'
            b"<link>https://www.rfi.fr/cn/a/20240101-a</link><description>&lt;p&gt;x&lt;/p&gt;</description></item>"
            b"</rdf:RDF>"
        )
        document = read_feed(feed)
        assert (document.readable, document.encoding, document.error) == (True, "utf-8", None)
        assert document.entries == [FeedEntry("标题", "https://www.rfi.fr/cn/a/20240101-a", None, "<p>x</p>")]

    def test_an_element_with_an_undeclared_prefix_is_read_by_its_local_name(self) -> None:
        feed = b"<rss><channel><item><title>t</title><rss:link>https://www.rfi.fr/cn/a/20240101-a</rss:link></item>"
        document = read_feed(feed + b"</channel></rss>")
        assert document.entries == [FeedEntry("t", "https://www.rfi.fr/cn/a/20240101-a", None, None)]

    def test_comments_and_processing_instructions_in_an_item_are_read_past(self) -> None:
        feed = b"<rss><channel><item><!-- c --><?pi x?><title>t</title><pubDate>d</pubDate></item></channel></rss>"
        assert read_feed(feed).entries == [FeedEntry("t", None, "d", None)]

    @pytest.mark.parametrize(
        ("head", "encoding"),
        # w3lib resolves the declared name to Python's codec name (GB18030 is gb18030).
        [(b"<?xml version='1.0' encoding='GB18030'?>", "gb18030"), (b'<?xml version="1.0"?>', None), (b"", None)],
    )
    def test_the_declared_encoding_is_reported(self, head: bytes, encoding: str | None) -> None:
        assert read_feed(head + b"<rss><channel></channel></rss>").encoding == encoding

    def test_a_bytearray_is_read_and_text_is_refused(self) -> None:
        assert (
            read_feed(bytearray(b"<rss><channel><item><title>t</title></item></channel></rss>")).entries[0].title == "t"
        )
        with pytest.raises(InvalidInput) as caught:
            read_feed("<rss/>")  # type: ignore[arg-type]
        assert (caught.value.reason, caught.value.detail) == ("not_bytes", "feed data is str, not bytes")

    def test_the_error_is_lxmls_message_on_one_line(self) -> None:
        data = b"<rss><channel><item><title>a</title></item><item><title>b"
        with pytest.raises(etree.XMLSyntaxError) as direct:
            etree.fromstring(data)
        document = read_feed(data)
        assert document.error == " ".join(str(direct.value).split())
        assert [entry.title for entry in document.entries] == ["a"]

    def test_an_external_entity_is_not_read(self, tmp_path: Path) -> None:
        feed = external_entity_document(
            tmp_path,
            "rss",
            "<rss><channel><item><title>t</title><description>x&e;</description></item></channel></rss>",
        )
        document = read_feed(feed)
        assert [entry.title for entry in document.entries] == ["t"]
        assert "SECRET" not in (document.entries[0].description or "")

    def test_a_description_over_ten_megabytes_is_read_whole(self) -> None:
        # libxml2 refuses a text node over 10,000,000 bytes unless told the tree may be huge.
        big = "x" * 10_500_000
        feed = f"<rss><channel><item><description><![CDATA[{big}]]></description></item></channel></rss>"
        document = read_feed(feed.encode())
        assert (document.error, len(document.entries[0].description or "")) == (None, 10_500_000)


SITEMAPS = FIXTURES / "site" / "sitemaps" / "cn"
URLSET = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'


class TestSitemapReader:
    def test_sitemap_index(self) -> None:
        document = read_sitemap((SITEMAPS / "index.xml").read_bytes())
        assert (document.type, document.empty_entries) == ("sitemapindex", 0)
        assert document.locs == [
            f"https://www.rfi.fr/sitemaps/cn/{name}.xml"
            for name in ("contents_202404", "contents_202403", "contents_202402", "contents_202401", "tags")
        ]

    def test_a_comment_or_instruction_inside_a_loc_does_not_cut_it(self) -> None:
        data = URLSET + b"<url><loc>https://www.rfi.fr/cn/a<!-- x -->/b<?pi y?>/c</loc></url></urlset>"
        assert read_sitemap(data).locs == ["https://www.rfi.fr/cn/a/b/c"]

    def test_entries_with_an_undeclared_prefix_are_read_by_their_local_names(self) -> None:
        assert read_sitemap(b"<urlset><s:url><s:loc>a</s:loc></s:url></urlset>").locs == ["a"]

    def test_empty_locs_and_other_elements_are_counted_or_passed(self) -> None:
        data = URLSET + b"<url><loc></loc></url><url><loc> </loc></url><x/><url><loc>a</loc></url></urlset>"
        document = read_sitemap(data)
        assert (document.locs, document.empty_entries) == (["a"], 2)

    def test_an_external_entity_is_not_read(self, tmp_path: Path) -> None:
        data = external_entity_document(
            tmp_path, "urlset", "<urlset><url>&e;<loc>a</loc></url><url><loc>b&e;</loc></url></urlset>"
        )
        document = read_sitemap(data)
        assert document.locs[0] == "a"
        assert not any("SECRET" in loc for loc in document.locs)

    def test_a_loc_over_ten_megabytes_is_read_whole(self) -> None:
        # libxml2 cuts a text node over 10,000,000 bytes unless told the tree may be huge.
        document = read_sitemap(URLSET + b"<url><loc>" + b"x" * 10_500_000 + b"</loc></url></urlset>")
        assert [len(loc) for loc in document.locs] == [10_500_000]

    @pytest.mark.parametrize(
        ("data", "detail"),
        [
            ("<urlset/>", "str, not bytes"),
            (b"<rss><channel/></rss>", "no <urlset> or <sitemapindex> root"),
        ],
    )
    def test_what_is_no_sitemap_is_said(self, data: bytes, detail: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            read_sitemap(data)
        assert (caught.value.reason, caught.value.detail) == ("not_a_sitemap", detail)

    def test_what_is_no_xml_says_what_lxml_says(self) -> None:
        with pytest.raises(etree.XMLSyntaxError) as direct:
            etree.fromstring(b"", parser=etree.XMLParser(recover=True))
        with pytest.raises(InvalidInput) as caught:
            read_sitemap(b"")
        assert (caught.value.reason, caught.value.detail) == ("not_a_sitemap", " ".join(str(direct.value).split()))


class TestFragment:
    def test_what_lxml_cannot_hold_is_dropped_or_replaced(self) -> None:
        assert holdable("a\x01b\x1fc\ud800d") == "abc\ufffdd"

    @pytest.mark.parametrize(
        ("character", "read_as"),
        [
            *[("\x00", ""), ("\x01", ""), ("\x0b", ""), ("\x0c", ""), ("\x1f", "")],
            *[("\ud800", "\ufffd"), ("\udfff", "\ufffd"), ("\ufffe", "\ufffd"), ("\uffff", "\ufffd")],
            *[("\t", "\t"), ("\r", "\n"), ("\u3000", "\u3000")],
        ],
    )
    def test_each_character_lxml_cannot_hold_alone(self, character: str, read_as: str) -> None:
        # Controls dropped, non-characters as U+FFFD; what a tree holds stays. libxml2 itself would make a control
        # character U+FFFD and end the text at a lone surrogate.
        assert read_body(parse_fragment(f"<p>前{character}后</p><p>二</p>")).paragraphs == [f"前{read_as}后", "二"]

    def test_a_control_character_does_not_hide_a_document_tag(self) -> None:
        # Dropped first, then the tag it split is a document tag like any other: </body> would end the fragment.
        assert read_body(parse_fragment("<p>一</p></bo\x01dy><p>二</p>")).paragraphs == ["一", "二"]

    def test_a_charset_in_the_fragment_changes_nothing(self) -> None:
        markup = '<meta charset="gbk"><p>中文</p><meta http-equiv="Content-Type" content="text/html; charset=latin-1">'
        assert read_body(parse_fragment(markup + "<p>法广</p>")).paragraphs == ["中文", "法广"]

    def test_document_tags_leave_nothing_behind(self) -> None:
        body = read_body(parse_fragment("<!DOCTYPE html><html><head></head><body><p>一</p></body></html>"))
        assert body.paragraphs == ["一"]
        assert read_body(parse_fragment("<p>一<html>二</p>")).paragraphs == ["一二"]

    def test_what_is_not_text_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            parse_fragment(b"<p>x</p>")  # type: ignore[arg-type]
        assert (caught.value.reason, caught.value.detail) == ("not_text", "markup is bytes, not a string")

    def test_nesting_past_the_limit_says_the_limit(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            parse_fragment("<div>" * MAX_DEPTH + "<p>x</p>")
        assert (caught.value.reason, caught.value.detail) == ("too_deep", "elements nested more than 256 levels")
