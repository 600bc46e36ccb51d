"""QR codes for invite links, sized for printing at the till."""

import io

import segno


def qr_svg(url: str, *, title: str = "Scan to join") -> bytes:
    """`url` may be any text (an event's check-in code, for one)."""
    buffer = io.BytesIO()
    # Error level Q survives a crumpled or partly covered print; scale 10 prints ~4 cm wide.
    segno.make(url, error="q").save(buffer, kind="svg", scale=10, border=4, xmldecl=True, svgns=True,
                                     title=title)
    return buffer.getvalue()


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="q").save(buffer, kind="png", scale=16, border=4)
    return buffer.getvalue()
