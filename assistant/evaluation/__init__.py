"""Evaluation: read question sets, ask the assistant, score the answers, write reports."""
