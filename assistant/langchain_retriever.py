"""`HybridRetriever` behind LangChain's `BaseRetriever` interface, for LangChain pipelines."""

from __future__ import annotations

from datetime import date

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.models import Passage
from assistant.retrieval import HybridRetriever
from vectorstore.store import SearchFilter


def passage_document(passage: Passage) -> Document:
    """A passage as a LangChain Document: the shown text as content, the rest as metadata."""
    metadata = passage.model_dump(mode="json", exclude={"text", "context"})
    return Document(page_content=passage.context or passage.text, metadata=metadata)


class NewsRetriever(BaseRetriever):
    """LangChain adapter over `HybridRetriever`; Documents carry the passage metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    hybrid: HybridRetriever
    k: int | None = None
    flt: SearchFilter | None = None
    as_of: date | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        passages = self.hybrid.retrieve(query, k=self.k, flt=self.flt, as_of=self.as_of)
        return [passage_document(p) for p in passages]
