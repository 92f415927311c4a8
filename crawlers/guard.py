"""Refuse crawl requests that would reach into our own network (SSRF), on every hop.

Feeds, sitemaps, listings and redirects choose the URLs the crawler fetches, so a hostile or
hijacked site could point it at the machine it runs on (an admin port on loopback), the office
network, or the cloud metadata service that hands out credentials. Scrapy fetches whatever it
is given. Two checks close that:

- `SsrfGuardMiddleware` (a downloader middleware) refuses, before anything is sent, a request
  whose URL is not http(s), is malformed or too long, or whose host is, or resolves to, an
  address that is not public. RedirectMiddleware schedules each redirect as a new request, so
  every hop passes through it (`RedirectTargetGuard` words the redirects Scrapy would not
  follow at all). The refusal names the URL and the address and is recorded on the source
  (or its item) like any other failure.
- `GuardedResolver` (Scrapy's TWISTED_DNS_RESOLVER) drops disallowed addresses when the
  connection is made, so a name that answered the middleware with a public address and the
  connection with a private one a moment later (DNS rebinding) still cannot reach in.

`crawl.allow_private` opens exactly what is the admin's own: the demo or a test server on
loopback, an intranet mirror of a council site.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.http import Response
from scrapy.resolver import CachingHostnameResolver
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import (
    IAddress,
    IHostnameResolver,
    IHostResolution,
    IResolutionReceiver,
)
from zope.interface import implementer, provider

from crawlers.settings import ALLOW_PRIVATE
from domain.config import HOST_NAME, IPNetwork, parse_allow_entry

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# AWS, GCP, Azure and others answer credentials here; named so the refusal says what it is.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
# IPv6 forms that carry an IPv4 address, which is the one actually reached.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
MAX_URL_LENGTH = 2083  # Scrapy's URLLENGTH_LIMIT default; longer is junk or an attack
DEFAULT_PORTS = {"http": 80, "https": 443}
_SHOWN_URL = 200  # characters of a URL quoted in an error


def shorten(url: str, limit: int = _SHOWN_URL) -> str:
    """A URL short enough to read in `radar sources` (an attack may be 10,000 characters)."""
    return url if len(url) <= limit else f"{url[:limit]}… ({len(url):,} characters)"


class RequestRefused(IgnoreRequest):
    """A request the guard would not send. The message says why, without the URL (the
    errback that records it names the URL, as for every other failure)."""


@dataclass(frozen=True)
class PrivateAllowance:
    """What `crawl.allow_private` opens: networks on any port, single hosts on one port."""

    networks: tuple[IPNetwork, ...] = ()
    endpoints: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> PrivateAllowance:
        """The allowance; an entry that is not an address, network or host:port opens
        nothing (fail closed) and is logged: the watch list's validation should stop it."""
        networks: list[IPNetwork] = []
        endpoints: set[tuple[str, int]] = set()
        for entry in entries:
            try:
                parsed = parse_allow_entry(entry)
            except ValueError as exc:
                logger.error("%s: ignored", exc)
                continue
            if isinstance(parsed, tuple):
                endpoints.add(parsed)
            else:
                networks.append(parsed)
        return cls(tuple(networks), frozenset(endpoints))

    def permits(self, address: IPAddress, host: str, port: int) -> bool:
        """May we connect to `address` (reached as `host`, on `port`)?

        The cloud metadata address (credentials) is opened only by an entry naming that very
        address: not by a host name, which its DNS can point anywhere, nor by a link-local
        network opened for a device."""
        if reached_address(address) in METADATA_ADDRESSES:
            metadata = reached_address(address)
            return any(
                network.num_addresses == 1 and metadata in network for network in self.networks
            ) or (metadata.compressed, port) in self.endpoints
        if any(address in network for network in self.networks):
            return True
        return (host.lower(), port) in self.endpoints or (address.compressed, port) in (
            self.endpoints
        )


def reached_address(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv4-mapped or NAT64 IPv6 address really reaches."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour:
            return address.sixtofour
    return address


def why_not_public(address: IPAddress) -> str | None:
    """What kind of non-public address this is ("a private address"), or None if public."""
    if address.version == 6 and address.scope_id:
        address = ipaddress.IPv6Address(address.compressed.split("%")[0])
    address = reached_address(address)
    if address in METADATA_ADDRESSES:
        return "the cloud metadata address"
    for kind, test in (
        ("an unspecified address", address.is_unspecified),
        ("a loopback address", address.is_loopback),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("a reserved address", address.is_reserved),
        ("a private address", address.is_private),
        ("a non-public address", not address.is_global),
    ):
        if test:
            return kind
    return None


def url_target(url: str) -> tuple[str, int]:
    """(host, port) of a URL the crawler may try, or RequestRefused saying what is wrong."""
    if len(url) > MAX_URL_LENGTH:
        raise RequestRefused(f"refused: URL longer than {MAX_URL_LENGTH:,} characters")
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError as exc:
        raise RequestRefused(f"refused: malformed URL ({exc})") from None
    if scheme not in DEFAULT_PORTS:
        raise RequestRefused(f"refused: not an http(s) URL ({scheme or 'no'} scheme)")
    if not host:
        raise RequestRefused("refused: malformed URL (no host)")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not HOST_NAME.match(host):
            raise RequestRefused(
                f"refused: malformed URL ({host[:80]!r} is not a host name)"
            ) from None
    return host, port or DEFAULT_PORTS[scheme]


def refusal(
    host: str, port: int, addresses: Sequence[IPAddress], allowance: PrivateAllowance
) -> str | None:
    """Why connecting to `host` at these addresses is refused, or None when all may be
    reached. One address we may not reach refuses the host: which one a connection uses is
    not ours to choose."""
    for address in addresses:
        kind = why_not_public(address)
        if kind and not allowance.permits(address, host, port):
            shown = address.compressed
            where = f"{shown} is" if host.strip("[]") == shown else f"{host} resolves to {shown},"
            return f"refused: {where} {kind}, not in crawl.allow_private"
    return None


def _as_address(text: str) -> IPAddress:
    return ipaddress.ip_address(text.split("%")[0])


def _lookup(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for `host` (blocking: run in a thread)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(_as_address(str(info[4][0])) for info in found))


class SsrfGuardMiddleware:
    """Downloader middleware: refuses requests to non-http(s), malformed, too long or
    non-public URLs (see the module docstring). Runs before robots.txt is fetched, so a
    refused host is not contacted at all."""

    def __init__(self, allowance: PrivateAllowance, dns_timeout: float) -> None:
        self.allowance = allowance
        self.dns_timeout = dns_timeout
        self._resolved: dict[str, list[IPAddress]] = {}  # for this crawl: host -> addresses

    @classmethod
    def from_crawler(cls, crawler: Any) -> SsrfGuardMiddleware:
        settings = crawler.settings
        allowance = PrivateAllowance.from_entries(settings.getlist(ALLOW_PRIVATE))
        return cls(allowance, settings.getfloat("DNS_TIMEOUT", 60.0))

    async def process_request(self, request: Request, spider: Any = None) -> None:
        try:
            host, port = url_target(request.url)
        except RequestRefused as problem:
            raise self.refused(request, str(problem)) from None
        addresses = await self._addresses(host, port)
        reason = refusal(host, port, addresses, self.allowance)
        if reason:
            raise self.refused(request, reason)

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        """A connection the resolver refused (DNS rebinding) fails as "no address"; name the
        address it refused instead."""
        if not isinstance(exception, DNSLookupError | CannotResolveHostError):
            return
        resolver = _installed_resolver()
        try:
            host, port = url_target(request.url)
        except RequestRefused:
            return
        reason = resolver.refusals.get((host, port)) if resolver else None
        if reason:
            raise self.refused(request, f"{reason} (when connecting)")

    async def _addresses(self, host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        if host not in self._resolved:
            from twisted.internet import reactor

            lookup = threads.deferToThread(_lookup, host, port)
            lookup.addTimeout(self.dns_timeout, reactor)
            try:
                found = await maybe_deferred_to_future(lookup)
            except Exception as exc:  # noqa: BLE001 - gaierror, timeout: the host is unknown
                message = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                raise CannotResolveHostError(f"DNS lookup failed: {host}: {message}") from None
            self._resolved[host] = found
        return self._resolved[host]

    @staticmethod
    def refused(request: Request, reason: str) -> RequestRefused:
        hops = request.meta.get("redirect_urls") or []
        if hops:
            reason = f"{reason} (redirected from {shorten(hops[0])})"
        logger.info("%s: %s", shorten(request.url), reason)
        return RequestRefused(reason)


class RedirectTargetGuard:
    """Downloader middleware placed before RedirectMiddleware (on the way back from the
    server): a redirect to a scheme we never fetch (file:, gopher:, javascript:…) or to a
    URL that cannot be parsed is refused in words, where Scrapy would leave an unexplained
    HTTP 302 or a ValueError. Where an http(s) redirect leads is checked by
    SsrfGuardMiddleware when the redirected request comes through."""

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        location = response.headers.get(b"Location")
        if not location or response.status not in (301, 302, 303, 307, 308):
            return response
        meta = request.meta
        if (
            meta.get("dont_redirect")
            or meta.get("handle_httpstatus_all")
            or response.status in meta.get("handle_httpstatus_list", ())
        ):
            return response  # the spider reads this redirect itself; nothing will follow it
        target = location.decode("latin-1").strip()
        try:
            scheme = urlsplit(urljoin(request.url, target)).scheme.lower()
        except ValueError as exc:
            raise SsrfGuardMiddleware.refused(
                request, f"refused: malformed redirect to {shorten(target)!r} ({exc})"
            ) from None
        if scheme not in DEFAULT_PORTS:
            raise SsrfGuardMiddleware.refused(
                request, f"refused: redirect to {shorten(target)}, not an http(s) URL"
            )
        return response


def _installed_resolver() -> GuardedResolver | None:
    from twisted.internet import reactor

    resolver = getattr(reactor, "nameResolver", None)
    return resolver if isinstance(resolver, GuardedResolver) else None


@provider(IResolutionReceiver)
class _RefusingReceiver:
    """Passes on the addresses a connection may use; drops (and remembers) the others."""

    def __init__(
        self,
        receiver: IResolutionReceiver,
        host: str,
        port: int,
        allowance: PrivateAllowance,
        refusals: dict[tuple[str, int], str],
    ) -> None:
        self.receiver, self.host, self.port = receiver, host.lower(), port
        self.allowance, self.refusals = allowance, refusals

    def resolutionBegan(self, resolution: IHostResolution) -> None:  # noqa: N802 - Twisted's
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:  # noqa: N802
        ip = _as_address(address.host)  # type: ignore[attr-defined]
        reason = refusal(self.host, self.port, [ip], self.allowance)
        if reason:
            self.refusals[(self.host, self.port)] = reason
            logger.warning("connection to %s:%s %s", self.host, self.port, reason)
            return
        self.receiver.addressResolved(address)

    def resolutionComplete(self) -> None:  # noqa: N802
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedResolver(CachingHostnameResolver):
    """Scrapy's caching resolver (IPv4 and IPv6, getaddrinfo) that never hands a
    connection an address `crawl.allow_private` does not open: the check at connect time,
    which DNS rebinding cannot get round. The cache keeps what DNS said; the check runs on
    every connection, cached or not."""

    def __init__(self, reactor: Any, cache_size: int, allowance: PrivateAllowance) -> None:
        super().__init__(reactor, cache_size)
        self.allowance = allowance
        self.refusals: dict[tuple[str, int], str] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        settings = crawler.settings
        size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, size, PrivateAllowance.from_entries(settings.getlist(ALLOW_PRIVATE)))

    def resolveHostName(  # noqa: N802 - Twisted's interface
        self,
        resolutionReceiver: IResolutionReceiver,  # noqa: N803
        hostName: str,  # noqa: N803
        portNumber: int = 0,  # noqa: N803
        addressTypes: Sequence[type[IAddress]] | None = None,  # noqa: N803
        transportSemantics: str = "TCP",  # noqa: N803
    ) -> IHostResolution:
        guarded = _RefusingReceiver(
            resolutionReceiver, hostName, portNumber, self.allowance, self.refusals
        )
        return super().resolveHostName(
            guarded, hostName, portNumber, addressTypes, transportSemantics
        )
