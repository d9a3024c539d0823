"""PO documents: checked by content, stored privately under a generated name.

What a file *is* is read from its bytes, never from its name or the type the browser claims: a
PDF begins with ``%PDF-`` (within the first kilobyte, as readers allow) and must not carry markup
a browser would render (an HTML or SVG file with a PDF header pasted on top is still refused).
The original name is kept for display only, cleaned of path parts and control characters; the
stored name is random, under ``settings.PRIVATE_FILES_ROOT``, which nothing serves.
"""

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile

MAX_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
# Markup a browser would render if the file were ever shown inline, looked for at the start.
MARKUP = re.compile(rb"<\s*(!doctype|html|svg|script|\?xml|body|head|iframe)", re.IGNORECASE)
MAX_NAME = 255


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    original_name: str
    sha256: str


def storage() -> FileSystemStorage:
    # Read at call time: tests point the root at a temporary directory. No base_url: these
    # files have no public URL.
    return FileSystemStorage(location=settings.PRIVATE_FILES_ROOT, base_url=None)


def display_name(name: str) -> str:
    """The uploader's file name made safe to show and to put in a header: the last path part
    (``../`` and ``C:\\`` prefixes go), no NUL or other control characters, no quotes, at most
    255 characters; ``document.pdf`` when nothing is left."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = name.replace('"', "").replace("'", "").strip().lstrip(".").strip()
    if not name:
        return "document.pdf"
    return name[-MAX_NAME:]


def check_upload(upload: UploadedFile) -> CheckedFile:
    """The upload's bytes if it is a PDF of at most 10 MB, else a ValidationError saying why."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError("The document is larger than 10 MB.", code="document")
    content = b"".join(upload.chunks())
    if len(content) > MAX_BYTES:
        raise ValidationError("The document is larger than 10 MB.", code="document")
    head = content[:1024]
    if PDF_MAGIC not in head or MARKUP.search(content[:4096]):
        raise ValidationError("The document must be a PDF file.", code="document")
    return CheckedFile(
        content=content,
        original_name=display_name(upload.name or ""),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def store(checked: CheckedFile) -> str:
    """Writes the bytes under a new random name and returns it."""
    name = f"po/{uuid.uuid4().hex}.pdf"
    saved = storage().save(name, ContentFile(checked.content))
    return saved


def open_stored(stored_name: str):
    return storage().open(stored_name, "rb")


def download_name(name: str) -> str:
    """The name a download is saved under: the displayed name, always ending in ``.pdf`` (a
    PDF uploaded as ``x.exe`` must not be saved as a program)."""
    name = display_name(name)
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"
