"""A question about a story ("What is the latest on the rail strike?") is answered from several
articles, each sentence cited, newest first when the question asks for the latest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.chat import NewsAssistant
from assistant.models import Answer
from core.settings import Settings
from indexing.pipeline import ingest_sources
from vectorstore.store import NewsStore

# Written for this test: three days of one strike, and one article about something else.
ARTICLES = [
    {
        "id": "strike-1",
        "title": "Rail workers in Tellin walk out over pay",
        "published": "2025-10-06",
        "source": "Tellin Courier",
        "text": "Rail workers in Tellin began a strike on Monday after pay talks with the state "
        "rail operator collapsed. The union says 4,000 drivers and conductors stopped work. "
        "Commuter trains between Tellin and the coast did not run.",
    },
    {
        "id": "strike-2",
        "title": "Rail strike in Tellin enters its third day",
        "published": "2025-10-08",
        "source": "Tellin Courier",
        "text": "The rail strike in Tellin entered its third day on Wednesday. The operator ran "
        "replacement buses on two lines. Union leader Mara Voss said the workers want a raise "
        "of 9 percent over two years.",
    },
    {
        "id": "strike-3",
        "title": "Tellin rail strike ends with a deal",
        "published": "2025-10-10",
        "source": "Coastal Gazette",
        "text": "The rail strike in Tellin ended on Friday when the union and the operator agreed "
        "on a raise of 7 percent over two years. Trains will run normally from Saturday.",
    },
    {
        "id": "harvest",
        "title": "Apple harvest in the valley starts early",
        "published": "2025-10-09",
        "source": "Valley News",
        "text": "Farmers in the valley began the apple harvest two weeks early after a warm "
        "September. Prices at the market fell by a tenth.",
    },
]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("overview")
    corpus = folder / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    settings = Settings(_env_file=None, data_dir=folder / "data")
    store = NewsStore(settings)
    assert ingest_sources([corpus], store, settings).added == len(ARTICLES)
    store.close()
    return folder / "data"


def cited_articles(answer: Answer) -> list[str]:
    """The articles the answer cites, in the order the answer first cites them."""
    titles: list[str] = []
    for citation in answer.citations:
        if citation.title not in titles:
            titles.append(citation.title)
    return titles


def test_the_latest_on_a_story_draws_on_several_articles_newest_first(data_dir: Path) -> None:
    assistant = NewsAssistant(Settings(_env_file=None, data_dir=data_dir))
    answer = assistant.ask("What is the latest on the rail strike?", backend="extractive")
    titles = cited_articles(answer)
    assert len(titles) >= 2, answer.answer
    assert "Apple harvest in the valley starts early" not in titles
    assert titles[0] == "Tellin rail strike ends with a deal", answer.answer
    dates = [c.date for c in answer.citations]
    assert dates == sorted(dates, reverse=True), answer.answer
    assert all(line.rstrip().endswith("]") for line in answer.answer.splitlines())


def test_a_summary_cites_each_of_its_sentences(data_dir: Path) -> None:
    assistant = NewsAssistant(Settings(_env_file=None, data_dir=data_dir))
    answer = assistant.ask(
        "Summarise what the articles say about the rail strike", backend="extractive"
    )
    assert len(cited_articles(answer)) >= 2, answer.answer
    assert all(check.markers for check in answer.checks), answer.checks


@pytest.mark.slow
def test_the_local_model_answers_the_latest_from_several_articles(
    data_dir: Path, qwen_model_path: Path
) -> None:
    settings = Settings(_env_file=None, data_dir=data_dir, llm_model_path=qwen_model_path)
    answer = NewsAssistant(settings).ask("What is the latest on the rail strike?", backend="local")
    assert not answer.declined, answer.answer
    assert len(cited_articles(answer)) >= 2, answer.answer
    assert "Apple harvest in the valley starts early" not in cited_articles(answer)
