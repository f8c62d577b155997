"""Runs the incremental ingest: sources through ingest/ into the stores of vectorstore/."""
