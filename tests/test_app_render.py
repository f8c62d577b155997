"""How answers, sources and notices look in the chat: escaped, linked, highlighted."""

from __future__ import annotations

import html as html_module
import re
from datetime import date

from assistant.models import Answer, Citation, Passage, SentenceCheck
from core.records import Article
from webapp import render

ARTICLE_TEXT = (
    "Pjöngjang schickt weitere Soldaten. Nach Angaben aus Seoul sollen 6.000 weitere "
    "Soldaten nach Russland kommen. Bereits 11.000 sind dort."
)
SPAN = "Nach Angaben aus Seoul sollen 6.000 weitere Soldaten nach Russland kommen."


def _article(title: str = "Nordkorea schickt Soldaten", text: str = ARTICLE_TEXT) -> Article:
    return Article(id="a1", title=title, text=text, source="tagesschau", url="https://t.de/x")


def _answer(**overrides) -> Answer:
    start = ARTICLE_TEXT.index(SPAN)
    citation = Citation(
        marker=1,
        chunk_id="a1:0",
        article_id="a1",
        title="Nordkorea schickt Soldaten",
        date=date(2025, 6, 17),
        source="tagesschau",
        url="https://t.de/x",
        sentence="6,000 more soldiers are expected [1].",
        span_start=start,
        span_end=start + len(SPAN),
        span_text=SPAN,
    )
    fields = dict(
        question="How many soldiers are expected?",
        query="How many soldiers are expected?",
        answer="6,000 more soldiers are expected [1].",
        citations=[citation],
    )
    fields.update(overrides)
    return Answer(**fields)


def lookup(article_id: str) -> Article | None:
    return _article() if article_id == "a1" else None


def test_markers_link_to_their_source_entry():
    html = render.answer_html(_answer(), lookup, answer_id="abc")
    assert '<a class="nq-cite" href="#nq-abc-1"' in html
    assert 'id="nq-abc-1"' in html


def test_marker_without_a_citation_stays_plain_text():
    html = render.answer_html(_answer(answer="Odd claim [7]."), lookup, answer_id="abc")
    assert "[7]" in html
    assert "#nq-abc-7" not in html


def test_each_source_is_a_card_with_title_date_outlet_link_and_highlighted_span():
    html = render.answer_html(_answer(), lookup, answer_id="abc")
    card = html[html.index('<li class="nq-source" id="nq-abc-1">') :]
    # The card's line is the <summary>, always in view; the passage opens under it.
    summary = card[card.index("<summary>") : card.index("</summary>")]
    assert "Nordkorea schickt Soldaten" in summary
    assert "2025-06-17" in summary and "tagesschau" in summary
    assert "Nordkorea schickt Soldaten" in html
    assert "2025-06-17" in html and "tagesschau" in html
    assert '<a href="https://t.de/x" target="_blank" rel="noopener noreferrer">t.de</a>' in html
    assert f"<mark>{SPAN}</mark>" in html
    # Text around the span is shown too, so the reader sees the passage in context.
    assert "Pjöngjang schickt weitere Soldaten." in html


def test_highlight_falls_back_to_the_passage_when_the_article_is_gone():
    passage = Passage(number=1, chunk_id="a1:0", article_id="a1", title="t", text=ARTICLE_TEXT,
                      start=0, end=len(ARTICLE_TEXT))  # fmt: skip
    html = render.answer_html(_answer(passages=[passage]), lambda _: None, answer_id="abc")
    assert f"<mark>{SPAN}</mark>" in html


def test_unsupported_sentence_is_marked_with_its_reason():
    answer = _answer(
        answer="6,000 more soldiers are expected [1]. They arrive by train.",
        checks=[
            SentenceCheck(sentence="6,000 more soldiers are expected [1].", markers=[1]),
            SentenceCheck(
                sentence="They arrive by train.", supported=False, reason="no passage says train"
            ),
        ],
    )
    html = render.answer_html(answer, lookup, answer_id="abc")
    assert (
        '<span class="nq-unsupported" title="no passage says train">They arrive by train.' in html
    )
    assert "1 sentence is not supported" in html


def test_article_and_model_text_is_escaped():
    evil_title = '<script>alert("t")</script>'
    evil_text = "<img src=x onerror=alert(1)> Soldiers: 6.000 <b>more</b>."
    answer = _answer(answer='<img src=x onerror=alert(2)> 6,000 [1]', citations=[
        _answer().citations[0].model_copy(update={"title": evil_title, "span_start": 0,
                                                  "span_end": 20, "url": "javascript:alert(3)"})
    ])  # fmt: skip
    html = render.answer_html(answer, lambda _: _article(evil_title, evil_text), answer_id="abc")
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "javascript:" not in html


def test_only_http_links_are_kept():
    assert render.safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert render.safe_url("javascript:alert(1)") is None
    assert render.safe_url("data:text/html,hi") is None
    assert render.safe_url("//evil.example/x") is None


def test_html_never_contains_a_blank_line():
    # Markdown would end the raw HTML block at a blank line and render the rest as Markdown.
    text = "First paragraph.\n\nSecond paragraph with 6.000.\n\n\nThird."
    html = render.answer_html(_answer(), lambda _: _article(text=text), answer_id="abc")
    assert "\n\n" not in html
    assert "\n" not in render.answer_html(_answer(answer="Line one.\n\nLine two [1]."), lookup)


def test_declined_answer_says_so_and_shows_closest_passages():
    passage = Passage(number=1, chunk_id="a1:0", article_id="a1", title="Nordkorea", text="x",
                      context="Pjöngjang hat 2,6 Millionen Einwohner?", start=0, end=1)  # fmt: skip
    answer = _answer(answer="", citations=[], declined=True, passages=[passage])
    html = render.answer_html(answer, lookup)
    assert "do not answer this question" in html
    assert "Closest passages" in html and "2,6 Millionen" in html


def test_chitchat_is_just_the_reply():
    answer = _answer(answer="Hello! Ask me about the news.", citations=[], is_chitchat=True)
    html = render.answer_html(answer, lookup)
    assert "Hello! Ask me about the news." in html and "<details" not in html


def test_excerpt_is_trimmed_to_words_around_the_span():
    text = "word " * 200 + "TARGET" + " word" * 200
    start = text.index("TARGET")
    html = render.highlighted_excerpt(text, [(start, start + 6)], context=40)
    assert html.startswith("… ") and html.endswith(" …")
    assert "<mark>TARGET</mark>" in html
    # No half words at the edges: every piece between spaces is a whole word.
    pieces = html.removeprefix("… ").removesuffix(" …").split()
    assert set(pieces) == {"word", "<mark>TARGET</mark>"}


def test_several_spans_behind_one_marker_are_all_highlighted():
    first = "Nach Angaben aus Seoul sollen 6.000 weitere Soldaten nach Russland kommen."
    second = "Bereits 11.000 sind dort."
    base = _answer().citations[0]
    other = base.model_copy(
        update={
            "span_start": ARTICLE_TEXT.index(second),
            "span_end": ARTICLE_TEXT.index(second) + len(second),
            "span_text": second,
        }
    )
    html = render.answer_html(_answer(citations=[base, other]), lookup, answer_id="abc")
    assert f"<mark>{first}</mark>" in html and f"<mark>{second}</mark>" in html
    assert html.count('id="nq-abc-1"') == 1


def test_excerpt_prefers_whole_sentences_around_the_span():
    text = (
        "Alpha one two three. Bravo four five six. TARGET sentence here. "
        "Charlie seven eight. Delta nine ten eleven twelve"
    )
    start = text.index("TARGET")
    html = render.highlighted_excerpt(text, [(start, start + 6)], context=30)
    # 30 characters either side reach into "one two three." and "Charlie seven": the excerpt
    # opens after the sentence that was cut and closes after the last whole one.
    assert html == "… Bravo four five six. <mark>TARGET</mark> sentence here. …"


def test_the_short_answer_is_bold_in_its_quote_and_stays_escaped():
    text = (
        "6.000 weitere [1]\n“Nach Angaben aus Seoul sollen **6.000 weitere** Soldaten kommen.” [1]"
    )
    html = render.answer_html(_answer(answer=text), lookup, answer_id="abc")
    assert "<strong>6.000 weitere</strong>" in html
    hostile = render.answer_html(_answer(answer="**<img src=x onerror=alert(1)>** [1]"), lookup)
    assert "<img" not in hostile and "<strong>&lt;img" in hostile


def test_sentences_the_verification_left_out_are_not_shown_but_said():
    left_out = SentenceCheck(
        sentence="An additional 55,000 soldiers", supported=False, shown=False, reason="55,000 …"
    )
    answer = _answer(checks=[left_out], replaced="55,000 appears in no passage found")
    html = render.answer_html(answer, lookup, answer_id="abc")
    assert "55,000 soldiers" not in html
    assert "Checked against the passages: the model's answer was left out" in html
    assert "nq-unsupported" not in html


def _cited(marker: int, chunk: str, title: str) -> Citation:
    return (
        _answer()
        .citations[0]
        .model_copy(update={"marker": marker, "chunk_id": chunk, "title": title})
    )


def test_markers_are_numbered_in_the_order_they_first_appear():
    answer = _answer(
        answer="Seoul says 6,000 [3]. Moscow denies it [1]. Seoul repeats it [3].",
        citations=[_cited(1, "a1:1", "Moscow denies"), _cited(3, "a1:3", "Seoul says")],
    )
    html = render.answer_html(answer, lookup, answer_id="abc")
    links = re.findall(r'<a class="nq-cite" href="#nq-abc-(\d)"[^>]*>\[(\d)\]</a>', html)
    assert links == [("1", "1"), ("2", "2"), ("1", "1")]
    cards = re.findall(r'id="nq-abc-(\d)"><details><summary><span class="nq-num">(\d)</span>'
                       r'<span class="nq-title">([^<]+)<', html)  # fmt: skip
    assert cards == [("1", "1", "Seoul says"), ("2", "2", "Moscow denies")]


def test_a_streaming_answer_numbers_its_markers_as_the_finished_one_will():
    html = render.streaming_html("writing", "Seoul says 6,000 [3]. Moscow denies it [1")
    assert "6,000 [1]" in html and "[3]" not in html


def test_the_copied_text_is_plain_with_the_sources_as_a_numbered_list():
    answer = _answer(
        answer="**6,000** more soldiers [3]. Moscow denies it [1].",
        citations=[_cited(1, "a1:1", "Moscow denies"), _cited(3, "a1:3", "Seoul says")],
    )
    assert render.plain_text(answer) == (
        "6,000 more soldiers [1]. Moscow denies it [2].\n\nSources:\n"
        "1. Seoul says (tagesschau, 2025-06-17) https://t.de/x\n"
        "2. Moscow denies (tagesschau, 2025-06-17) https://t.de/x"
    )
    html = render.answer_html(answer, lookup, answer_id="abc")
    block = re.search(r'<pre class="nq-plain"[^>]*>(.*?)</pre>', html).group(1)
    assert "<" not in block and "\n" not in block  # one line of HTML, the breaks as entities
    assert html_module.unescape(block) == render.plain_text(answer)


def test_lists_and_bold_from_a_model_render_as_html_and_nothing_else_does():
    answer = _answer(
        answer="Two things [1]:\n- **6,000** more soldiers\n- engineers <b>too</b>\n"
        "1. first\n2. second\n![x](http://e.x/i.png)"
    )
    html = render.answer_html(answer, lookup, answer_id="abc")
    assert "<ul><li><strong>6,000</strong> more soldiers</li><li>engineers &lt;b&gt;too" in html
    assert "<ol><li>first</li><li>second</li></ol>" in html
    assert "<img" not in html and "<b>" not in html
    # One numbered line is a German date, not a list.
    date_line = render.answer_html(_answer(answer="1. Oktober: die Bibliothek öffnet [1]."), lookup)
    assert "<ol>" not in date_line and "1. Oktober" in date_line


def test_a_decline_is_one_line_with_the_scope_and_folded_leads_one_per_article():
    def passage(number: int, article: str, text: str) -> Passage:
        return Passage(number=number, chunk_id=f"{article}:{number}", article_id=article,
                       title=f"Story {article}", text=text, start=0, end=len(text))  # fmt: skip

    long_text = "Kiel is a port. " + "More words follow here. " * 30
    answer = _answer(answer="", citations=[], declined=True, passages=[
        passage(1, "a", long_text), passage(2, "a", "Same story again."),
        passage(3, "b", "Another story."),
    ])  # fmt: skip
    html = render.answer_html(answer, lookup, scope="from tagesschau, as of 2025-06-01")
    assert "Searched only from tagesschau, as of 2025-06-01." in html
    assert '<details class="nq-closest"><summary>Closest passages (2 articles)' in html
    assert html.count('<li class="nq-source">') == 2  # one per article
    assert "Same story again" not in html
    assert (
        len(answer.passages[0].nearest_sentence(render.CLOSEST_CHARS)) <= render.CLOSEST_CHARS + 2
    )


def test_a_passage_in_another_language_offers_a_translation_when_a_model_answered():
    german = _answer().citations[0].model_copy(update={"language": "de"})
    by_model = render.answer_html(_answer(citations=[german], backend="local"), lookup, "abc")
    assert '<a class="nq-translate" href="#nq-abc-1">Translate into English</a>' in by_model
    assert '<span class="nq-translate-for">en local</span>' in by_model  # what the page asks
    quoted = render.answer_html(_answer(citations=[german], backend="extractive"), lookup, "abc")
    assert "nq-translate" not in quoted  # no model to translate with
    english = german.model_copy(update={"language": "en"})
    same = render.answer_html(_answer(citations=[english], backend="local"), lookup, "abc")
    assert "nq-translate" not in same
