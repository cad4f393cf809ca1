"""A health check's last answer in one line: the text of a body, never its markup."""

from __future__ import annotations

from dockyard.facts.http import EXCERPT, body_excerpt

BUSYBOX_404 = (
    b"<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n"
    b"<BODY><H1>404 Not Found</H1>\nThe requested URL was not found\n</BODY></HTML>\n"
)
RAILS_500 = b"""<!DOCTYPE html>
<html>
<head>
  <title>We're sorry, but something went wrong (500)</title>
  <meta name="viewport" content="width=device-width,initial-scale=1">
  <style>body { background-color: #EFEFEF; color: #2E2F30; text-align: center; }</style>
</head>
<body>
  <div class="dialog">
    <div><h1>We&#39;re sorry, but something went wrong.</h1></div>
    <p>If you are the application owner check the logs for more information.</p>
  </div>
  <script>console.log("never shown")</script>
</body>
</html>
"""


def test_markup_shows_its_text_without_tags_head_or_scripts() -> None:
    assert body_excerpt(BUSYBOX_404) == "404 Not Found The requested URL was not found"


def test_a_long_page_is_cut_at_a_word_within_the_limit() -> None:
    shown = body_excerpt(RAILS_500)
    assert shown == (
        "We're sorry, but something went wrong. If you are the application owner check…"
    )
    assert len(shown) <= EXCERPT


def test_a_page_that_shows_no_text_gives_its_title() -> None:
    page = b"<html><head><title>Starting &amp; warming up</title></head><body></body></html>"
    assert body_excerpt(page) == "Starting & warming up"
    assert body_excerpt(b"<html><body><img src=x></body></html>") == ""


def test_json_and_plain_text_are_shown_as_they_are_on_one_line() -> None:
    assert body_excerpt(b'{"status": "down",\n "db": "refused"}') == (
        '{"status": "down", "db": "refused"}'
    )
    assert body_excerpt(b"booting\r\n  please wait\x1b[0m\n") == "booting please wait [0m"
    assert body_excerpt(b"") == ""


def test_one_long_word_is_cut_where_the_limit_is() -> None:
    assert body_excerpt(b"x" * 200, limit=10) == "xxxxxxxxx…"
    assert body_excerpt(b"\xff\xfe broken bytes") == "\ufffd\ufffd broken bytes"
