"""The printable board notice (公示/公告) as a PDF in Chinese: WeasyPrint with Debian's
fonts-noto-cjk (no external font, architecture.md). Rendered from the notice's de-identified
rows only, so the PDF can hold nothing the public page does not show (domain.md 7)."""

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
