"""The citation check: every `[n]` resolved to its passage and span, every sentence judged.

After generation the answer is split into sentences. For each one:
- markers that point at no passage are removed (`removed_markers`);
- a sentence without a marker gets the passage that supports it, when one does (`added_markers`);
- a sentence whose markers point at passages that do not back it, while another passage does,
  has its markers moved there (both recorded): a 1.5B model sometimes writes [2] for the one
  passage it was shown as [1];
- a sentence whose numbers or names appear in none of its cited passages is flagged unsupported;
- a sentence in another language than the passages it cites, where names and words cannot be
  compared, has its marker moved to the passage whose stored sentence vectors are clearly
  nearer to it (when the check is given the embedding of answer sentences);
- each marker becomes a `Citation` with the article span (character offsets) that best supports
  the sentence, for highlighting.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, field

from assistant.glossary import term_or_translation_in
from assistant.matching import name_in, names_in, term_in
from assistant.models import Citation, Passage, SentenceCheck
from assistant.replies import REPLIES
from core.language import question_language
from core.markers import MARKER_PATTERN, cited_numbers, leading_markers, marker_text, strip_markers
from core.numbers import find_figures, format_number, number_values
from core.sentences import split_sentences
from core.words import content_terms, fold, stopwords, words

# Phrases with which an answer says the passages do not hold the answer (English and German).
_DECLINE_RE = re.compile(
    r"\b(?:(?:do|does|did)\s*(?:not|n't)\s+(?:say|contain|mention|state|include|provide|"
    r"answer|specify|give)|not\s+(?:mentioned|stated|specified|provided|contained)\s+in|"
    r"(?:no|not\s+enough)\s+information|cannot\s+(?:be\s+)?answer|can't\s+answer|"
    r"unable\s+to\s+answer|enthalten\s+(?:dazu\s+)?keine|nicht\s+(?:enthalten|erwähnt)|"
    r"keine\s+(?:Angaben|Informationen|Antwort))",
    re.IGNORECASE,
)


@dataclass
class CheckedAnswer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    checks: list[SentenceCheck] = field(default_factory=list)
    declined: bool = False


_QUOTED_LINE = re.compile(rf"^\s*“[^”]*”(?:\s*{MARKER_PATTERN})*\s*$")


def split_answer(text: str) -> list[str]:
    """Answer sentences, each keeping the markers written right after its full stop.

    A line that is one quotation with its markers (as the extractive backend writes them) stays
    whole: the sentences inside a quote share the quote's citation.
    """
    parts: list[str] = []
    for line in text.strip().splitlines():
        if _QUOTED_LINE.match(line):
            parts.append(line.strip())
        else:
            line = line.strip()
            parts.extend(line[start:end] for start, end in split_sentences(line))
    sentences: list[str] = []
    for part in parts:
        # "… more. [1] Next …" — a sentence that starts with markers hands them back.
        markers, rest = leading_markers(part)
        if markers and sentences:
            sentences[-1] = sentences[-1].rstrip() + " " + markers
            part = rest
        if part.strip():
            sentences.append(part.strip())
    return sentences


def is_decline(text: str) -> bool:
    return bool(_DECLINE_RE.search(text))


def may_become_decline(text: str) -> bool:
    """Whether `text`, the start of a streamed answer, may still turn out to be the decline the
    prompt asks for (one of newsqa's own decline sentences, begun): "The articles" may, "The
    Broncos" may not."""
    begun = " ".join(text.split()).casefold()
    return any(d.casefold().startswith(begun) for d in REPLIES["decline"].values())


def _support_text(passage: Passage) -> str:
    return fold(f"{passage.title}\n{passage.text}")


def passage_figures(passages: Sequence[Passage]) -> set[float]:
    """Every figure the passages (titles and the years of their dates included) state. Small
    number words count here ("vier" backs an answer's "4"), though not in an answer, where they
    are prose. The day of a date does not: any figure from 1 to 31 would pass with it ("about 18
    months" from an article of 18 September)."""
    figures: set[float] = set()
    for passage in passages:
        figures |= number_values(f"{passage.title}\n{passage.text}", small_words=True)
        if passage.date:
            figures.add(float(passage.date.year))
    return figures


@dataclass(frozen=True)
class Given:
    """What the question itself states, which an answer may repeat without a passage: its
    figures and its words; and the language the answer is written in."""

    figures: Set[float] = frozenset()
    words: str = ""  # the question, folded
    language: str | None = None

    @classmethod
    def of(cls, question: str, language: str | None = None) -> Given:
        return cls(number_values(question), fold(question), language)


NOTHING_GIVEN = Given()


def _sentence_language(sentence: str, default: str) -> str:
    language = question_language(strip_markers(sentence))
    return default if language == "und" else language


def unsupported_reason(
    sentence: str, cited: Sequence[Passage], given: Given = NOTHING_GIVEN
) -> str | None:
    """Why the cited passages do not back the sentence's numbers or names; None when they do.

    Names are compared only with cited passages in the sentence's own language: across
    languages a name is spelt otherwise (Pjöngjang, Pyongyang), and every German noun is
    capitalised. (A model asked for English may still copy a German sentence: its language is
    read from the sentence, the asked-for one only when the sentence is too short to tell.)
    """
    if not cited:
        return "cites no passage"
    missing = sorted(number_values(sentence) - passage_figures(cited) - given.figures)
    if missing:
        shown = ", ".join(format_number(v) for v in missing)
        return f"{shown} appears in no cited passage"
    language = given.language and _sentence_language(sentence, given.language)
    same_language = [p for p in cited if language is None or p.language in (language, "und")]
    if not same_language:
        return None
    folded = " ".join(_support_text(p) for p in same_language)
    for name in names_in(strip_markers(sentence)):
        if not name_in(name, folded) and not name_in(name, given.words):
            return f"{name!r} appears in no cited passage"
    # Words are compared only where the language is known to be the sentence's own.
    known = [p for p in same_language if p.language == language]
    return figure_of_something_else(sentence, known, given)


# How far from a passage's figure, in characters, the thing it counts is looked for.
_UNIT_REACH = 40


def figure_of_something_else(
    sentence: str, passages: Sequence[Passage], given: Given = NOTHING_GIVEN
) -> str | None:
    """Why a figure of the sentence, though the passages hold its value, is not theirs: the
    words written after it (its unit or what it counts) are near none of the places where they
    write that value. A small model turns "$18 million" into "18 months", "one train in ten"
    into "10 months", and a check of values alone calls both supported. Only for passages in
    the sentence's own language (across languages "months" is "Monate"); a value the passages
    hold only in a title's or a date's figures, or the question states, is left to the value
    check."""
    bare = strip_markers(sentence)
    stop = stopwords(None)
    # Each figure of the passages ("one train in ten" too) with the text around it, read once.
    around: list[tuple[set[float], str]] = []
    for text in (f"{p.title}\n{p.text}" for p in passages):
        for at in find_figures(text, small_words=True):
            window = text[max(0, at.start - _UNIT_REACH) : at.end + _UNIT_REACH]
            around.append((set(at.values), fold(window)))
    for number in find_figures(bare):  # as number_values reads an answer
        if set(number.values) <= given.figures:
            continue
        # The next two words that are not stop words: "6,000 more soldiers" counts soldiers.
        counted = [w for w in map(fold, words(bare[number.end :])[:2]) if w not in stop]
        if not counted:
            continue
        places = [window for values, window in around if values & set(number.values)]
        if places and not any(term_in(w, place) for w in counted for place in places):
            return f"the cited passages write {number.text} of something else than {counted[0]!r}"
    return None


def figure_of_someone_else(
    sentence: str, passages: Sequence[Passage], given: Given = NOTHING_GIVEN
) -> str | None:
    """Why a figure of the sentence, though the passages hold its value, is not the figure of
    whom the sentence names: no passage sentence that writes the value names them. "Luke Kuechly
    registered 88 tackles" over "… während Kuechly das Team bei den Tackles anführte (118) …
    Kurt Coleman, der … 88 Tackles erzielen konnte": every value is in the passage, but the 88
    is Coleman's.

    The names asked for are those of the sentence that the question holds too (whom it asks
    about), all of them; when it repeats none, any one name of the sentence. Only names that
    some passage text holds are asked for: across languages a name may be spelt otherwise, and
    a name only in a title or a value only in a title or date is left to the other checks. All
    the question's names, not any one, since in German every noun is capitalised ("Tackles"
    is in both sentences above)."""
    bare = strip_markers(sentence)
    figures = [n for n in find_figures(bare) if not set(n.values) <= given.figures]
    if not figures:
        return None
    texts = [fold(p.text) for p in passages]
    held = [name for name in names_in(bare) if any(name_in(name, t) for t in texts)]
    if not held:
        return None
    asked = [name for name in held if name_in(name, given.words)]
    units = [
        (number_values(p.text[a:b], small_words=True), fold(p.text[a:b]))
        for p in passages
        for a, b in split_sentences(p.text) or [(0, len(p.text))]
    ]

    def names_them(text: str) -> bool:
        if asked:
            return all(name_in(name, text) for name in asked)
        return any(name_in(name, text) for name in held)

    for number in figures:
        writing = [text for values, text in units if values & set(number.values)]
        if writing and not any(names_them(text) for text in writing):
            return (
                f"the cited passages write {number.text} of someone else than {(asked or held)[0]}"
            )
    return None


def support_score(sentence: str, text: str) -> float:
    """How well `text` backs `sentence`: shared numbers count most, then names, then words.
    Small numbers count in words too: "four forced fumbles" rests on "vier erzwungene Fumbles",
    not on the sentence before it that names the same players."""
    folded = fold(text)
    numbers = number_values(sentence, small_words=True)
    shared_numbers = len(numbers & number_values(text, small_words=True)) if numbers else 0
    names = names_in(strip_markers(sentence))
    shared_names = sum(1 for name in names if name_in(name, folded))
    terms = content_terms(sentence)
    shared_terms = sum(1 for term in terms if term_or_translation_in(term, folded))
    return 3.0 * shared_numbers + 2.0 * shared_names + shared_terms


def _backs(sentence: str, passage: Passage, given: Given) -> bool:
    """Whether a passage backs an unmarked sentence well enough to cite it unasked."""
    if unsupported_reason(sentence, [passage], given) is not None:
        return False
    numbers = number_values(sentence)
    names = names_in(strip_markers(sentence))
    terms = content_terms(sentence)
    folded = _support_text(passage)
    shared_terms = sum(1 for t in terms if term_in(t, folded))
    # Something specific must be shared: a number, a name, or most of the content words.
    return bool(numbers or names) or (bool(terms) and shared_terms >= max(2, len(terms) * 0.6))


def support_span(sentence: str, passage: Passage) -> tuple[int, int, str]:
    """The passage sentence(s) that best support `sentence`, in article offsets, and their text.

    A verbatim quotation of the passage (as the extractive backend writes) spans exactly itself.
    """
    quoted = re.fullmatch(r"\s*“(.+)”\s*", strip_markers(sentence), re.S)
    if quoted:
        at = _find_verbatim(quoted.group(1), passage.text)
        if at is not None:
            return passage.start + at[0], passage.start + at[1], passage.text[at[0] : at[1]]
    spans = split_sentences(passage.text) or [(0, len(passage.text))]
    scored = [(support_score(sentence, passage.text[s:e]), s, e) for s, e in spans]
    best = max(scored, key=lambda item: item[0])
    _, start, end = best
    if best[0] == 0:
        start, end = spans[0]
    return passage.start + start, passage.start + end, passage.text[start:end]


def _find_verbatim(quote: str, text: str) -> tuple[int, int] | None:
    """Where `quote` occurs in `text`, white space compared loosely (quotes are re-spaced)."""
    words = quote.replace("**", "").split()  # ** marks the short answer inside a quote
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    match = re.search(pattern, text)
    return (match.start(), match.end()) if match else None


def citation_for(sentence: str, passage: Passage, marker: int, added: bool = False) -> Citation:
    start, end, text = support_span(sentence, passage)
    return Citation(
        marker=marker,
        chunk_id=passage.chunk_id,
        article_id=passage.article_id,
        title=passage.title,
        date=passage.date,
        source=passage.source,
        url=passage.url,
        language=passage.language,
        sentence=strip_markers(sentence).strip(),
        span_start=start,
        span_end=end,
        span_text=text,
        added=added,
    )


def _with_markers(sentence: str, markers: Sequence[int]) -> str:
    """The sentence with its markers replaced by `markers`, placed before the final stop."""
    bare = strip_markers(sentence).rstrip()
    if not markers:
        return bare
    tags = marker_text(markers)
    match = re.search(r"([.!?…]+[\"'”»)]*)$", bare)
    if match:
        return f"{bare[: match.start()]} {tags}{match.group(1)}"
    return f"{bare} {tags}"


# An answer sentence embedded as a question is (the e5 "query: " side), scaled to length 1.
Embed = Callable[[str], Sequence[float]]

# How much nearer (cosine) a passage's closest sentence must be to an answer sentence than
# every cited passage's closest one for the marker to move. e5's cosines sit close together;
# read off XQuAD's tuning half, where moves by 0.038 or more all went to the paragraph that
# holds the answer and moves by 0.019 or less went either way (README, Known issues).
NEARER_BY = 0.03


def nearness(vector: Sequence[float], passage: Passage) -> float | None:
    """The cosine of `vector` (length 1) and the passage's nearest stored sentence; None when
    the passage came without its sentence vectors."""
    held = [u.vector for u in passage.sentences if u.vector is not None]
    if not held:
        return None
    return max(sum(a * b for a, b in zip(vector, unit, strict=True)) for unit in held)


def _nearer_passage(
    sentence: str,
    cited: Sequence[Passage],
    passages: Sequence[Passage],
    given: Given,
    embed: Embed,
) -> Passage | None:
    """For a sentence in another language than every passage it cites, the passage that the
    stored sentence vectors put clearly nearer to it (`NEARER_BY`), if it backs the sentence's
    figures. Across languages the check compares figures only, so a sentence citing the wrong
    passage passed: on XQuAD the 1.5B model wrote "Marlee Matlin translated the national
    anthem into American Sign Language [2]" with [2] a paragraph about Luther."""
    language = _sentence_language(sentence, given.language or "und")
    if language == "und" or any(p.language in (language, "und") for p in cited):
        return None
    if all(p in cited for p in passages):  # nowhere else to go: no need to embed
        return None
    vector = embed(strip_markers(sentence))
    near = {p.number: nearness(vector, p) for p in passages}
    scored = {number: value for number, value in near.items() if value is not None}
    if any(p.number not in scored for p in cited):
        return None
    own = max(scored[p.number] for p in cited)
    best = max(scored, key=scored.__getitem__)
    if scored[best] - own < NEARER_BY:  # the cited passage is the nearest, or near enough
        return None
    candidate = next(p for p in passages if p.number == best)
    return candidate if unsupported_reason(sentence, [candidate], given) is None else None


def check_answer(
    text: str,
    passages: Sequence[Passage],
    given: Given = NOTHING_GIVEN,
    embed: Embed | None = None,
) -> CheckedAnswer:
    """Check and repair the markers of a generated answer against the passages it was shown
    (`given`: what the question states, and the answer's language; `embed`: the embedding of
    an answer sentence, for comparing it with passages in another language)."""
    by_number = {p.number: p for p in passages}
    declined = is_decline(text)
    out_sentences: list[str] = []
    citations: list[Citation] = []
    checks: list[SentenceCheck] = []
    for sentence in split_answer(text):
        written = cited_numbers(sentence)
        kept = [m for m in written if m in by_number]
        removed = [m for m in written if m not in by_number]
        added: list[int] = []
        says_no = is_decline(sentence)
        cited = [by_number[m] for m in kept]
        reason = None if says_no else unsupported_reason(sentence, cited, given)
        if reason is not None:  # unmarked, or marked with passages that do not back it
            candidates = [p for p in passages if _backs(sentence, p, given)]
            if candidates:
                best = max(candidates, key=lambda p: support_score(sentence, p.text))
                added = [best.number]
                removed, kept = removed + kept, []
                reason = unsupported_reason(sentence, [best], given)
        elif embed is not None and cited and not says_no and not sentence.lstrip().startswith("“"):
            nearer = _nearer_passage(sentence, cited, passages, given, embed)
            if nearer is not None:
                added = [nearer.number]
                removed, kept = removed + kept, []
        markers = kept + added
        supported = reason is None
        checks.append(
            SentenceCheck(
                sentence=strip_markers(sentence).strip(),
                markers=markers,
                supported=supported,
                reason=reason,
                removed_markers=removed,
                added_markers=added,
            )
        )
        for marker in markers:
            citation = citation_for(sentence, by_number[marker], marker, added=marker in added)
            citation.supported = supported
            citations.append(citation)
        out_sentences.append(_with_markers(sentence, markers) if (removed or added) else sentence)
    changed = any(c.removed_markers or c.added_markers for c in checks)
    joiner = "\n" if "\n" in text.strip() else " "
    return CheckedAnswer(
        text=joiner.join(out_sentences) if changed else text.strip(),
        citations=citations,
        checks=checks,
        declined=declined,
    )
