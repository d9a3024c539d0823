"""Helpers of the "no 5xx" property tests: the forms of every page, values a user (or an attacker)
could send, and requests that report a server error with the exception and the file it came from.
"""

import itertools
import re
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.test import Client, TestCase
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import strategies as st

from tests.factories import PASSWORD

PROJECT = Path(settings.BASE_DIR)
BACKEND = "contacts.backends.LoginIdBackend"


# --- Requests ------------------------------------------------------------------------------------


class ServerError(AssertionError):
    pass


def where(exc_info) -> str:
    """The exception and the innermost frame of our code (not Django's, not the tests')."""
    _, exc, tb = exc_info
    ours = [
        frame
        for frame in traceback.extract_tb(tb)
        if frame.filename.startswith(str(PROJECT))
        and "/.venv/" not in frame.filename
        and "/tests/" not in frame.filename
    ]
    place = ""
    if ours:
        frame = ours[-1]
        place = f" at {Path(frame.filename).relative_to(PROJECT)}:{frame.lineno} in {frame.name}"
    return f"{type(exc).__name__}: {str(exc)[:200]}{place}"


def send(client, method: str, path: str, data=None, *, follow=True, what=""):
    """One request as a browser would make it (following redirects, running on-commit work such
    as e-mail, as the request's own transaction would). A 5xx raises ``ServerError`` with the
    exception and where it came from."""
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            if method == "GET":
                response = client.get(path, data or {}, follow=follow)
            else:
                response = client.post(path, data or {}, follow=follow)
    except Exception as exc:  # on-commit work runs after the response, inside the request
        raise ServerError(f"{method} {short(path)} {what}: on commit: {exc!r}") from exc
    if response.status_code >= 500:
        cause = where(response.exc_info) if response.exc_info else "no exception recorded"
        landed = ""
        if getattr(response, "redirect_chain", None):
            landed = f" (on the page it redirected to: GET {response.request['PATH_INFO']})"
        raise ServerError(
            f"{response.status_code} on {method} {short(path)} {what}{landed}\n  {cause}\n"
            f"  data: {short_data(data)}"
        )
    return response


def short(text, limit=120) -> str:
    text = repr(text) if not isinstance(text, str) else text
    return text if len(text) <= limit else f"{text[:limit]}…({len(text)} chars)"


def short_data(data) -> str:
    if not data:
        return "{}"
    return "{" + ", ".join(f"{k!r}: {short(repr(v), 60)}" for k, v in data.items()) + "}"


# --- People --------------------------------------------------------------------------------------


def sign_in(role: str, people: dict) -> Client:
    """A client for ``role``. The administrator signs in through the admin's own login form."""
    client = Client(raise_request_exception=False)
    if role == "anonymous":
        return client
    user = people[role]
    if role == "admin":
        response = client.post(
            "/admin/login/?next=/admin/", {"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 302, "the administrator could not sign in"
    else:
        client.force_login(user, backend=BACKEND)
    return client


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- Real values for URL parameters -------------------------------------------------------------


def admin_model(endpoint):
    route = "".join(str(p) for p in endpoint.pieces)
    for model in admin.site._registry:
        if f"admin/{model._meta.app_label}/{model._meta.model_name}/" in route:
            return model
    return None


def real_values(endpoint, objects) -> dict[str, list[str]]:
    """For each parameter of the URL, values naming real objects (or a real reset link).
    A parameter this does not know fails the test: teach it, so the new URL is fuzzed too."""
    values = {}
    for name in endpoint.kwarg_names:
        converter = type(endpoint.converters.get(name)).__name__
        if converter == "AccountNumberConverter":
            values[name] = objects["account_numbers"]
        elif converter == "QuoteNumberConverter":
            values[name] = objects["quote_numbers"]
        elif converter == "RevisionNumberConverter":
            values[name] = ["1"]
        elif converter == "InvoiceNumberConverter":
            values[name] = objects["invoice_numbers"]
        elif converter == "ObjectIdConverter":
            # Ids of purchase orders, their changes and documents, per URL (see the site fixture).
            if endpoint.name not in objects.get("object_ids", {}):
                raise LookupError(f"{endpoint.name}: no real id for <{name}>; add one")
            values[name] = objects["object_ids"][endpoint.name]
        elif name == "uidb64":
            values[name] = [objects["reset_uid"]]
        elif name == "token":
            values[name] = [objects["reset_token"]]
        elif name in ("object_id", "id") and admin_model(endpoint) is not None:
            model = admin_model(endpoint)
            pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:1])
            values[name] = [str(pk) for pk in pks] or ["1"]
        elif name == "content_type_id":
            values[name] = [str(ContentType.objects.get_for_model(objects["account"]).pk)]
        elif name == "object_id":  # view_on_site
            values[name] = [str(objects["account"].pk)]
        elif name == "app_label":
            values[name] = ["contacts", "quotes"]
        elif name == "url":  # the admin's catch-all
            values[name] = ["no-such-page/"]
        else:
            raise LookupError(f"{endpoint.name}: no real value for <{name}>; add one in fuzz.py")
    return values


def real_paths(endpoint, objects) -> list[str]:
    values = real_values(endpoint, objects)
    names = list(values)
    return [
        endpoint.path(**dict(zip(names, combo, strict=True)))
        for combo in itertools.product(*(values[n] for n in names))
    ]


def reset_link(user) -> tuple[str, str]:
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


# --- Forms on a page -----------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, select, checkbox, radio, hidden, number, date, email, password…
    value: str = ""  # what the browser would send as the page is
    options: list = field(default_factory=list)


@dataclass
class Form:
    page: str  # the path the form was found on
    method: str  # GET or POST
    action: str  # the path it is sent to
    fields: dict  # name -> Field
    visit_first: bool = False  # the page was reached by a redirect: it may hold session state

    @property
    def key(self):
        return (self.method, self.action, tuple(sorted(self.fields)))

    def baseline(self) -> dict:
        return {f.name: f.value for f in self.fields.values() if f.value is not None}


class _FormParser(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            self.form = Form(
                page=self.page,
                method=(a.get("method") or "get").upper(),
                action=urlsplit(action).path,
                fields={},
            )
            self.forms.append(self.form)
            return
        if self.form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "image"):
                self._submit(name, a.get("value", ""))
            elif kind in ("checkbox", "radio"):
                fld = self.form.fields.setdefault(name, Field(name, kind, None))
                fld.options.append(a.get("value", "on"))
                if "checked" in a:
                    fld.value = a.get("value", "on")
            else:
                self.form.fields[name] = Field(name, kind, a.get("value", ""))
        elif tag == "button" and (a.get("type") or "submit").lower() == "submit":
            self._submit(name, a.get("value", ""))
        elif tag == "select":
            self.form.fields[name] = Field(name, "select", None)
        elif tag == "textarea":
            self.textarea = self.form.fields[name] = Field(name, "textarea", "")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def _submit(self, name, value):
        """Named submit buttons: a browser sends the one clicked. The first is clicked as the
        page is; buttons sharing a name are the choices of one field (approve / send back)."""
        clicked = any(f.kind == "submit" and f.value is not None for f in self.form.fields.values())
        fld = self.form.fields.setdefault(name, Field(name, "submit", None if clicked else value))
        fld.options.append(value)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "textarea":
            self.textarea = None


class _LinkParser(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.queries: dict[str, dict[str, list[str]]] = {}

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") if tag == "a" else None
        if not href or "?" not in href:
            return
        url = urlsplit(urljoin(self.page, href))
        if url.netloc not in ("", "testserver"):
            return
        keys = self.queries.setdefault(url.path, {})
        for key, value in parse_qsl(url.query, keep_blank_values=True):
            keys.setdefault(key, [])
            if value not in keys[key]:
                keys[key].append(value)


def link_forms(page: str, html: str) -> list[Form]:
    """The links with a query string (sorting, filters, pages) as GET forms of their path: their
    parameters are fuzzed like form fields."""
    parser = _LinkParser(page)
    parser.feed(html)
    return [
        Form(
            page=page,
            method="GET",
            action=path,
            fields={k: Field(k, "select", None, options=v) for k, v in keys.items()},
        )
        for path, keys in parser.queries.items()
        if keys
    ]


def forms_on(page: str, html: str) -> list[Form]:
    parser = _FormParser(page)
    parser.feed(html)
    _fill_options(parser, html)
    return parser.forms


def _fill_options(parser: _FormParser, html: str) -> None:
    """Second pass: <option> values of each <select>, and the selected one."""

    class P(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.forms = iter(parser.forms)
            self.form = None
            self.select = None

        def handle_starttag(self, tag, attrs):
            a = {k: (v or "") for k, v in attrs}
            if tag == "form":
                self.form = next(self.forms)
            elif tag == "select" and self.form is not None and a.get("name"):
                self.select = self.form.fields.get(a["name"])
            elif tag == "option" and self.select is not None:
                value = a.get("value", "")
                self.select.options.append(value)
                if self.select.value is None or "selected" in a:
                    self.select.value = value

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None
            elif tag == "form":
                self.form = None

    P().feed(html)


# --- Values --------------------------------------------------------------------------------------

# Text a person could paste or an attacker could send. Characters that cannot be encoded (lone
# surrogates) are left out: no browser sends them.
CHARACTERS = st.characters(blacklist_categories=("Cs",))
SPECIAL_TEXT = [
    "\x00",
    "a\x00b",
    "\r\n",
    "line\nbreak",
    "\u202e",  # right-to-left override
    "\ufeff",  # byte-order mark
    "\u200b",  # zero-width space
    "ＡＢＣ",  # full-width
    "٣٤",  # Arabic-Indic digits
    "𝟘𝟙",  # mathematical digits
    "İ",
    "ß",
    "ﬀ",
    "😀",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "%s%n{0}${x}",
    "../../etc/passwd",
    "None",
    " ",
]
HUGE_TEXT = st.builds(
    lambda c, n: c * n,
    st.sampled_from(["x", "9", "\x00", "é", "𝕏", "a."]),
    st.sampled_from([151, 254, 255, 256, 300, 1001, 2001, 5001, 100_000]),
)
TEXT = st.one_of(st.sampled_from(SPECIAL_TEXT), HUGE_TEXT, st.text(CHARACTERS, max_size=40))
EDGE_NUMBERS = [
    "1e309",
    "-1e309",
    "-0",
    "NaN",
    "Infinity",
    "-Infinity",
    "9" * 50,
    "9" * 400,
    "-1",
    "0",
    "1e-400",
    "0.001",
    "2147483648",
    "9223372036854775808",
    "１２",
    "٣",
    "1,5",
    " 1 ",
]
NUMBERS = st.one_of(
    st.sampled_from(EDGE_NUMBERS),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
)
EDGE_DATES = [
    "9999-12-31",
    "0001-01-01",
    "9999-12-30",
    "0001-01-02",
    "10000-01-01",
    "2024-02-30",
    "0000-00-00",
    "1969-12-31",
    "2038-01-19",
    "31/12/2099",
    "-2020-01-01",
]
DATES = st.one_of(st.sampled_from(EDGE_DATES), st.dates().map(lambda d: d.isoformat()))


def _looks_like(fld: Field) -> str:
    if fld.kind in ("date", "datetime-local") or re.fullmatch(r"\d{4}-\d\d-\d\d", fld.value or ""):
        return "date"
    if fld.kind == "number" or re.fullmatch(r"-?\d+(\.\d+)?", fld.value or ""):
        return "number"
    return fld.kind


def value_for(fld: Field):
    """Anything for one field, the edges of its kind most often: as the page has it, empty, a
    valid option or one outside the choices, a boundary date or number, text of any kind."""
    kind = _looks_like(fld)
    branches = []
    if kind == "date":
        branches += [st.sampled_from(EDGE_DATES), DATES]
    elif kind == "number":
        branches += [st.sampled_from(EDGE_NUMBERS), NUMBERS]
    elif kind == "email":
        branches += [HUGE_TEXT.map(lambda s: s + "@x.example")]
    if fld.options:
        branches.append(st.sampled_from(fld.options))
    if fld.kind in ("checkbox", "radio", "submit"):
        branches.append(st.none())  # not sent
    branches += [TEXT, st.just("")]
    if fld.value is not None:
        branches.append(st.just(fld.value))
    return st.one_of(branches)


NOT_SWEPT = {"csrfmiddlewaretoken"}  # the test client does not check it


def swept_fields(form: Form) -> list[str]:
    """The fields changed one at a time: all but the CSRF token, and of a formset's rows only the
    first (the others are the same fields again)."""
    names = []
    for name in sorted(form.fields):
        row = re.match(r"^.+-(\d+)-[^-]+$", name)
        if name in NOT_SWEPT or (row and row[1] != "0"):
            continue
        names.append(name)
    return names


def with_value(form: Form, name: str, value) -> dict:
    data = form.baseline()
    if value is None:
        data.pop(name, None)
    else:
        data[name] = value
    return data


@st.composite
def anything(draw, form: Form):
    """A few fields changed at once, or every field anything, plus maybe fields the form does
    not have."""
    data = form.baseline()
    names = sorted(form.fields)
    if names and draw(st.booleans()):
        changed = draw(st.lists(st.sampled_from(names), min_size=1, max_size=5, unique=True))
    else:
        changed = names
    for name in changed:
        value = draw(value_for(form.fields[name]))
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    extra = draw(st.dictionaries(st.text(CHARACTERS, min_size=1, max_size=20), TEXT, max_size=2))
    return {**extra, **data}


QUERY_KEYS = ["next", "q", "o", "p", "all", "e", "_popup", "_to_field", "_changelist_filters"]
QUERIES = st.dictionaries(
    st.one_of(st.sampled_from(QUERY_KEYS), st.text(CHARACTERS, min_size=1, max_size=10)),
    st.one_of(TEXT, NUMBERS, DATES),
    max_size=2,
)


def with_query(path: str, query: dict) -> str:
    return f"{path}?{urlencode(query)}" if query else path
