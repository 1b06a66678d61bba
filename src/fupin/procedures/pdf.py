"""The printable board notice (公示/公告) as a PDF in Chinese: WeasyPrint with Debian's
fonts-noto-cjk (no external font, architecture.md). Rendered from the notice's de-identified
rows only, so the PDF can hold nothing the public page does not show (domain.md 7).

Rendered once, on the first request, and stored under MEDIA_ROOT by its sha256: every later
request (anyone may ask, without login) is served the same file without running WeasyPrint."""

import hashlib
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from fupin.procedures.models import Notice


def notice_html(notice: Notice) -> str:
    return render_to_string("procedures/notice_board.html", {
        "n": notice, "start": timezone.localtime(notice.start), "end": timezone.localtime(notice.end),
        "issuer": notice.area.full_name or notice.area.name,
    })


def notice_pdf(notice: Notice) -> bytes:
    import weasyprint  # imported here: loading pango takes a moment and most requests never print

    return weasyprint.HTML(string=notice_html(notice)).write_pdf()


def stored_pdf(notice: Notice) -> tuple[Path, str]:
    """(path, sha256) of the notice's PDF, rendering and storing it the first time. Two first
    requests at once may both render; the first to record its file wins and both serve that one."""
    if notice.pdf_sha256:
        path = Path(settings.MEDIA_ROOT) / notice.pdf_path
        if path.is_file():
            return path, notice.pdf_sha256
    data = notice_pdf(notice)
    sha = hashlib.sha256(data).hexdigest()
    rel = f"notices/{sha[:2]}/{sha}.pdf"
    path = Path(settings.MEDIA_ROOT) / rel
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    won = Notice.objects.filter(pk=notice.pk, pdf_sha256=notice.pdf_sha256).update(pdf_path=rel, pdf_sha256=sha)
    if not won:
        notice.refresh_from_db(fields=["pdf_path", "pdf_sha256"])
        theirs = Path(settings.MEDIA_ROOT) / notice.pdf_path
        if theirs.is_file():
            return theirs, notice.pdf_sha256
    notice.pdf_path, notice.pdf_sha256 = rel, sha
    return path, sha
