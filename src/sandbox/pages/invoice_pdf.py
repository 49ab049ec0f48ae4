"""A one-page PDF of an invoice, written by hand: a few text lines in Helvetica are all it needs."""

from sandbox.pages.common import money, when
from sandbox.store import Obj

_PAGE = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"


def invoice_lines(invoice: Obj) -> list[str]:
    rows = [
        f"Invoice {invoice['number'] or invoice['id']}",
        f"Status: {invoice['status']}",
        f"Date of issue: {when(invoice['effective_at'] or invoice['created'])}",
        f"Billed to: {invoice['customer_email'] or invoice['customer']}",
        "",
    ]
    for line in invoice["lines"]["data"]:
        period = line["period"]
        rows.append(f"{line['description']}  {when(period['start'])} - {when(period['end'])}")
        rows.append(f"    {money(line['amount'], line['currency'])}")
    rows += [
        "",
        f"Amount due: {money(invoice['amount_due'], invoice['currency'])}",
        f"Amount paid: {money(invoice['amount_paid'], invoice['currency'])}",
        f"Amount remaining: {money(invoice['amount_remaining'], invoice['currency'])}",
        "",
        "Stripe sandbox - offline test mode, no real money moves.",
    ]
    return rows


def render(lines: list[str]) -> bytes:
    text = " ".join(f"({_escape(line)}) '" for line in lines)
    content = f"BT /F1 11 Tf 14 TL 56 800 Td {text} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        _PAGE,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Length {len(content.encode('latin-1'))} >>\nstream\n{content}\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _escape(line: str) -> str:
    plain = line.encode("latin-1", errors="replace").decode("latin-1")
    return plain.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
