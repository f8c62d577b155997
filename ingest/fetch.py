"""HTTP(S) fetching for pages and feeds: bounded in time and size, with plain-language errors."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import httpx

USER_AGENT = "newsqa/0.1 (news question answering; fetches articles a user asked to ingest)"
_ERRNO = re.compile(r"^\[Errno -?\d+\]\s*")


class FetchError(Exception):
    """A URL could not be fetched; the message says why, in words a user understands.

    `unreachable` is true when the host itself did not answer (refused, timed out, unknown
    name), so that other URLs on the same host need not be tried.
    """

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content: bytes
    content_type: str


def is_url(source: object) -> bool:
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def make_client(timeout_s: float) -> httpx.Client:
    return httpx.Client(
        timeout=timeout_s,
        follow_redirects=True,
        max_redirects=10,
        headers={"User-Agent": USER_AGENT, "Accept": "text/html, application/xml, */*;q=0.5"},
    )


def _reason(exc: httpx.TransportError) -> str:
    message = str(exc) or type(exc).__name__
    return _ERRNO.sub("", message).rstrip(".").lower()


def fetch(url: str, client: httpx.Client, max_mb: float, timeout_s: float) -> Fetched:
    """GET `url`; raise FetchError for an unreachable host, a timeout, an HTTP error status or a
    response over `max_mb`. The body is read in pieces, so an oversized response
    is abandoned without being held in memory, and the total time is capped too (a server that
    trickles bytes would otherwise never hit the per-read timeout)."""
    timeout = timeout_s
    limit = int(max_mb * 1024 * 1024)
    deadline = time.monotonic() + 4 * timeout
    try:
        with client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise FetchError(
                    f"could not fetch: HTTP {response.status_code} {response.reason_phrase}"
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise FetchError(_too_large(int(declared), max_mb))
            body = bytearray()
            for piece in response.iter_bytes():
                body += piece
                if len(body) > limit:
                    raise FetchError(f"response is over the {max_mb:g} MB limit")
                if time.monotonic() > deadline:
                    raise FetchError(f"timed out after {4 * timeout:g} s")
            return Fetched(
                url=str(response.url),
                content=bytes(body),
                content_type=response.headers.get("content-type", "").lower(),
            )
    except httpx.TimeoutException as exc:
        raise FetchError(f"timed out after {timeout:g} s", unreachable=True) from exc
    except httpx.TooManyRedirects as exc:
        raise FetchError("could not fetch: too many redirects") from exc
    except httpx.InvalidURL as exc:
        raise FetchError(f"not a valid URL: {exc}") from exc
    except httpx.TransportError as exc:
        raise FetchError(f"could not fetch: {_reason(exc)}", unreachable=True) from exc


def _too_large(size: int, max_mb: float) -> str:
    return f"response is {size / 1024 / 1024:.1f} MB, over the {max_mb:g} MB limit"
