"""Every URL pattern the project serves, read from Django's URL resolver, so that a new URL is
covered by the security tests without anyone remembering to list it."""

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

# Django's own syntax for a route parameter: <converter:name> or <name>.
_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Endpoint:
    name: str  # "quotes:detail"; unnamed patterns get their route, e.g. "admin:admin/(?P<url>.*)$"
    pieces: tuple = field(repr=False)  # the pattern of each resolver level, then the URL's own
    callback: object = field(repr=False, compare=False)
    converters: dict = field(repr=False, compare=False)  # kwarg name -> converter instance
    regex_kwargs: tuple = ()  # kwargs captured by regex patterns (no converter)

    @property
    def kwarg_names(self) -> tuple[str, ...]:
        return (*self.converters, *self.regex_kwargs)

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0] if ":" in self.name else ""

    def path(self, **values: str) -> str:
        """The URL path with ``values`` percent-encoded into its parameters, whether or not the
        converters would accept them (``reverse`` refuses what they do not match)."""
        out = "/"
        for piece in self.pieces:
            if isinstance(piece, RoutePattern):
                out += _ROUTE_PARAMETER.sub(lambda m: _encode(values[m["name"]]), str(piece))
            else:
                out += _fill_regex(str(piece), values)
        return out


def _encode(value) -> str:
    return quote(str(value), safe="")


def _fill_regex(regex: str, values: dict) -> str:
    """Renders a simple regex route (the admin's app list and catch-all): named groups become
    the values, anchors go."""
    regex = regex.removeprefix("^").removesuffix("$")
    out, i = "", 0
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name = regex[i + 4 : regex.index(">", i)]
            depth, j = 0, i
            while True:
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                if depth == 0:
                    break
                j += 1
            out += _encode(values[name])
            i = j + 1
        else:
            out += regex[i]
            i += 1
    return out


def _walk(resolver, pieces=(), namespace=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern, (*pieces, pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            all_pieces = (*pieces, pattern.pattern)
            converters, regex_kwargs = {}, []
            for piece in all_pieces:
                converters.update(getattr(piece, "converters", {}))
                if not isinstance(piece, RoutePattern):
                    regex_kwargs += list(piece.regex.groupindex)
            label = pattern.name or "".join(str(p) for p in all_pieces)
            yield Endpoint(
                name=f"{namespace}{label}",
                pieces=all_pieces,
                callback=pattern.callback,
                converters=converters,
                regex_kwargs=tuple(regex_kwargs),
            )


def endpoints() -> list[Endpoint]:
    return list(_walk(get_resolver()))


def project_endpoints() -> list[Endpoint]:
    """Our own URLs; the admin's are Django's (its pages are still fuzzed as an administrator)."""
    return [e for e in endpoints() if e.namespace != "admin"]
