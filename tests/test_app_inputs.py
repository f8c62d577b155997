"""What the page accepts: uploads by type and size, http(s) URLs, login settings, feedback lines."""

from __future__ import annotations

import json
import threading

import pytest

from assistant.models import Answer, Citation
from webapp.auth import AuthConfigError, parse_auth
from webapp.feedback import append_feedback
from webapp.gate import TurnLine
from webapp.uploads import check_files, check_urls


def test_uploads_keep_allowed_files_and_name_the_rest(tmp_path):
    good = tmp_path / "story.txt"
    good.write_text("Pjöngjang schickt 6.000 Soldaten.")
    feed = tmp_path / "feed.RSS"
    feed.write_text("<rss/>")
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    big = tmp_path / "big.json"
    big.write_bytes(b"x" * (2 * 1024 * 1024))
    empty = tmp_path / "empty.md"
    empty.write_text("")
    out = check_files([str(good), str(feed), str(exe), str(big), str(empty)], max_mb=1)
    assert out.sources == [str(good), str(feed)]
    reasons = {f.item: f.reason for f in out.rejected}
    assert "file type .exe is not accepted" in reasons["tool.exe"]
    assert reasons["big.json"] == "2.0 MB is over the 1 MB limit"
    assert reasons["empty.md"] == "the file is empty"


def test_urls_must_be_http_or_https():
    out = check_urls("https://example.org/a.html\nftp://x.org/f  javascript:alert(1),\n\n")
    assert out.sources == ["https://example.org/a.html"]
    assert [f.item for f in out.rejected] == ["ftp://x.org/f", "javascript:alert(1)"]


def test_a_line_of_plain_words_is_one_refused_item():
    out = check_urls("not a url\nhttps://example.org/a.html see also https://example.org/b")
    assert out.sources == ["https://example.org/a.html", "https://example.org/b"]
    assert [(f.item, f.reason) for f in out.rejected] == [
        ("not a url", "not an http(s) URL"),
        ("see also", "not an http(s) URL"),
    ]


def test_login_from_one_pair_or_a_file(tmp_path):
    assert parse_auth(None) is None
    assert parse_auth("ann:s3cret:with-colon") == [("ann", "s3cret:with-colon")]
    users = tmp_path / "users"
    users.write_text("# editors\nann:one\n\nbob:two\n")
    assert parse_auth(str(users)) == [("ann", "one"), ("bob", "two")]
    users.write_text("ann:one\nbob\n")
    with pytest.raises(AuthConfigError, match=r"users:2: expected user:password"):
        parse_auth(str(users))
    with pytest.raises(AuthConfigError):
        parse_auth("no-colon-here")


def test_feedback_is_appended_as_json_lines(tmp_path):
    path = tmp_path / "data" / "feedback.jsonl"
    citation = Citation(marker=1, chunk_id="a:0", article_id="a", title="T", sentence="s",
                        span_start=0, span_end=5, span_text="6.000")  # fmt: skip
    answer = Answer(question="How many?", query="How many?", answer="6,000 [1]",
                    citations=[citation])  # fmt: skip
    append_feedback(path, answer, "up")
    append_feedback(path, answer, "down")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["rating"] for r in lines] == ["up", "down"]
    assert lines[0]["question"] == "How many?" and lines[0]["answer"] == "6,000 [1]"
    assert lines[0]["citations"][0]["span_text"] == "6.000"
    assert "timestamp" in lines[0]


def test_the_local_model_line_serves_in_order_and_reports_places():
    line = TurnLine()
    first, second, third = line.join(), line.join(), line.join()
    assert [line.position(t) for t in (first, second, third)] == [0, 1, 2]
    served: list[int] = []
    started = threading.Event()

    def wait_for_turn(ticket: int) -> None:
        started.set()
        while line.wait(ticket, timeout=5) > 0:
            pass
        served.append(ticket)
        line.leave(ticket)

    waiter = threading.Thread(target=wait_for_turn, args=(second,))
    waiter.start()
    started.wait()
    line.leave(first)
    waiter.join(timeout=10)
    assert served == [second]
    assert line.position(third) == 0
    line.leave(third)
    assert len(line) == 0
