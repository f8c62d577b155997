"""HTTP(S) fetching for pages and feeds: bounded in time and size, with plain-language errors,
and kept off the machine's own networks.

Whoever can type into the URL box (or write a feed entry's link) would otherwise make this
machine fetch its own services (`http://127.0.0.1:PORT/`, the cloud metadata address, the
office network) and then quote the answers to them in the chat; the different errors for a
refused, a closed and a silent port made it a port scanner. So unless `allow_private` is set,
every address a host name resolves to must be a public one. That is checked twice: before each
request (redirects included, with a message naming the URL) and again at connect time on the
addresses actually dialled, so a name that resolves to a public address for the check and a
private one for the connection (DNS rebinding) gets nowhere either.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
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


class PrivateAddress(httpx.TransportError):
    """The URL's host is (or resolves to) an address on this machine's own networks."""


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _kind(address: Address) -> str | None:
    """What makes an address off limits, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for kind, test in (
        ("a loopback", address.is_loopback),
        ("an unspecified", address.is_unspecified),
        ("a link-local", address.is_link_local),
        ("a reserved", address.is_reserved),
        ("a multicast", address.is_multicast),
        ("a private", address.is_private),
        ("a reserved", not address.is_global),  # shared (carrier NAT), documentation, …
    ):
        if test:
            return kind
    return None


def _resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise httpx.ConnectError(f"cannot resolve {host}: {exc.strerror}") from exc
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def public_addresses(host: str, port: int) -> list[Address]:
    """The addresses `host` resolves to; PrivateAddress if any of them is not public (a name
    with one private address among public ones is refused too: which one gets dialled is not
    ours to choose)."""
    addresses = _resolve(host.strip("[]"), port)
    for address in addresses:
        kind = _kind(address)
        if kind is not None:
            shown = host if host.strip("[]") == str(address) else f"{host} ({address})"
            raise PrivateAddress(
                f"refused: {shown} is {kind} address, not a public one (set "
                "NEWSQA_FETCH_ALLOW_PRIVATE=true to fetch from this machine's own networks)"
            )
    return addresses


class _PublicOnly(httpcore.NetworkBackend):
    """Dials only addresses that `public_addresses` let through, by address, so that the name
    is not resolved a second time to something else."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        error: Exception | None = None
        for address in public_addresses(host, port):
            try:
                return self._backend.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise PrivateAddress("refused: a Unix socket is on this machine")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def make_client(timeout_s: float, allow_private: bool = False) -> httpx.Client:
    """The client for every fetch of a page or feed. With `allow_private` off, no request of
    it (redirects included) reaches an address on this machine's own networks."""
    hooks: dict[str, list[Any]] = {}
    transport = httpx.HTTPTransport()
    if not allow_private:
        # httpx has no setting for the connection's resolver; its pool takes a network backend.
        transport._pool._network_backend = _PublicOnly()  # type: ignore[attr-defined]

        def check(request: httpx.Request) -> None:
            url = request.url
            public_addresses(url.host, url.port or (443 if url.scheme == "https" else 80))

        hooks["request"] = [check]
    return httpx.Client(
        timeout=timeout_s,
        follow_redirects=True,
        max_redirects=10,
        headers={"User-Agent": USER_AGENT, "Accept": "text/html, application/xml, */*;q=0.5"},
        transport=transport,
        event_hooks=hooks,
        # Proxies from the environment would dial the target themselves, past these checks.
        trust_env=allow_private,
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
    except PrivateAddress as exc:
        # The same words for every port and path of such a host: no scanning by error message.
        raise FetchError(str(exc)) from exc
    except httpx.TransportError as exc:
        raise FetchError(f"could not fetch: {_reason(exc)}", unreachable=True) from exc


def _too_large(size: int, max_mb: float) -> str:
    return f"response is {size / 1024 / 1024:.1f} MB, over the {max_mb:g} MB limit"
