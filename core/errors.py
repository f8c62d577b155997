"""The one base of the errors a user can act on.

Its message says what went wrong and what to do; the CLI prints it as one line and exits with
`exit_code`, the app shows it in the chat. Anything else that escapes is a bug, and gets a
traceback."""

from __future__ import annotations


class NewsqaError(Exception):
    # 2: the input or the configuration is wrong; 1: a service (a model, a server) failed.
    exit_code: int = 2
