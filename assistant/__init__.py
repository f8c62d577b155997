"""Retrieval, answering and citation checking: the library behind the CLI and the app."""
