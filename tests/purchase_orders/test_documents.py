"""PO documents: PDF by content only, at most 10 MB, stored privately under a generated name, the
original name cleaned for display, downloaded only through the access-checked view."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from purchase_orders import documents
from purchase_orders.models import PurchaseOrder, PurchaseOrderDocument
from tests import po_builders as pb
from tests.security.snapshot import db_snapshot

PDF = pb.MINIMAL_PDF
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
PDF_HEADED_HTML = b"%PDF-1.4\n<html><script>alert(1)</script></html>"


@pytest.fixture
def contact(world) -> Client:
    client = Client()
    client.force_login(world.contact_a, backend="contacts.backends.LoginIdBackend")
    return client


def create(client, world, name: str, content: bytes, number="PO-DOC"):
    fields = {k.removeprefix("po_"): v for k, v in pb.new_po_fields(number, "5000").items()}
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(
        reverse("purchase_orders:create", args=[world.a.number]), {**fields, "document": upload}
    )


def stored_files() -> list[Path]:
    root = Path(settings.PRIVATE_FILES_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file())


NOT_A_PDF = "The document must be a PDF file."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("order.pdf", HTML, NOT_A_PDF),  # HTML renamed .pdf
        ("drawing.svg", SVG, NOT_A_PDF),
        ("drawing.pdf", SVG, NOT_A_PDF),
        ("sneaky.pdf", PDF_HEADED_HTML, NOT_A_PDF),  # a PDF header on top of markup
        ("notes.pdf", b"just some text", NOT_A_PDF),
        ("empty.pdf", b"", "The submitted file is empty."),
    ],
)
def test_what_is_not_a_pdf_is_refused_with_a_message(world, contact, name, content, message):
    before = db_snapshot()
    response = create(contact, world, name, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert db_snapshot() == before
    assert stored_files() == []


def test_a_pdf_renamed_exe_is_accepted_by_its_content_and_downloads_as_pdf(world, contact):
    response = create(contact, world, "order.exe", PDF)
    assert response.status_code == 302
    document = PurchaseOrderDocument.objects.get()
    assert document.original_name == "order.exe"
    assert document.size == len(PDF)
    # stored under a generated name, not the upload's
    (path,) = stored_files()
    assert path.name != "order.exe" and path.suffix == ".pdf"
    assert path.read_bytes() == PDF
    download = contact.get(reverse("purchase_orders:document", args=[document.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="order.exe.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF


def test_an_eleven_megabyte_file_is_refused(world, contact):
    big = PDF + b"0" * (11 * 1024 * 1024)
    before = db_snapshot()
    response = create(contact, world, "big.pdf", big)
    assert response.status_code == 400
    assert "The document is larger than 10 MB." in response.content.decode()
    assert db_snapshot() == before
    assert stored_files() == []


def test_exactly_ten_megabytes_is_accepted(world, contact):
    content = PDF + b"0" * (10 * 1024 * 1024 - len(PDF))
    assert create(contact, world, "max.pdf", content).status_code == 302


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\po.pdf", "po.pdf"),
        ("po\x00.exe.pdf", "po.exe.pdf"),
        ("po\x01\x1f\x7f.pdf", "po.pdf"),
        ('my "quoted" po.pdf', "my quoted po.pdf"),
        ("../", "document.pdf"),
        ("", "document.pdf"),
    ],
)
def test_the_original_name_is_cleaned_for_display(name, shown):
    assert documents.display_name(name) == shown


def test_a_name_with_path_parts_and_nul_is_stored_safely(world, contact):
    assert create(contact, world, "../../x\x00y.pdf", PDF).status_code == 302
    document = PurchaseOrderDocument.objects.get()
    assert document.original_name == "xy.pdf"
    (path,) = stored_files()
    assert Path(settings.PRIVATE_FILES_ROOT) in path.parents
    assert os.path.basename(path) == os.path.basename(document.stored_name)


def test_another_accounts_document_is_the_same_404_as_a_missing_one(world, contact):
    other = Client()
    other.force_login(world.contact_b, backend="contacts.backends.LoginIdBackend")
    po_b = pb.purchase_order(
        world.b,
        world.contact_b,
        "B-DOC",
        document=SimpleUploadedFile("b.pdf", PDF, content_type="application/pdf"),
    )
    assert (
        other.get(reverse("purchase_orders:document", args=[po_b.document_id])).status_code == 200
    )
    foreign = contact.get(reverse("purchase_orders:document", args=[po_b.document_id]))
    missing = contact.get(reverse("purchase_orders:document", args=[999_999]))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content


def test_every_version_is_kept_when_a_change_brings_a_new_document(world, contact):
    from workflows import services as flow_services

    po = pb.purchase_order(
        world.a,
        world.contact_a,
        "PO-V",
        document=SimpleUploadedFile("v1.pdf", PDF, content_type="application/pdf"),
    )
    first = po.document_id
    change = flow_services.po_change_propose(
        purchase_order=po,
        actor=world.contact_a,
        base_version=1,
        number=po.number,
        amount=po.amount,
        valid_from=po.valid_from,
        valid_to=po.valid_to,
        reason="Countersigned copy",
        document=SimpleUploadedFile("v2.pdf", PDF + b"%v2", content_type="application/pdf"),
    )
    flow_services.po_change_approve(change=change, actor=world.rep_a)
    po = PurchaseOrder.objects.get(pk=po.pk)
    assert po.document_id != first and po.version == 2
    names = list(
        PurchaseOrderDocument.objects.filter(purchase_order=po).values_list(
            "original_name", flat=True
        )
    )
    assert sorted(names) == ["v1.pdf", "v2.pdf"]
    assert len(stored_files()) == 2
    page = contact.get(reverse("purchase_orders:detail", args=[po.pk])).content.decode()
    assert "v1.pdf" in page and "v2.pdf" in page


def test_private_files_are_outside_static_files(settings):
    # Nothing serves PRIVATE_FILES_ROOT: no URL pattern points at it, and it is not under the
    # directory whitenoise serves.
    private = Path(settings.PRIVATE_FILES_ROOT).resolve()
    assert Path(settings.STATIC_ROOT).resolve() not in [private, *private.parents]
