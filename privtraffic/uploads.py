"""Checks for images people upload (brand logos, group covers): real PNG, JPEG or WebP, and small."""

from django import forms
from django.utils.translation import gettext as _

IMAGE_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"RIFF")


def clean_image_upload(upload, *, max_bytes: int = 1024 * 1024):
    """Return the upload when it is a PNG, JPEG or WebP within max_bytes; else a form error."""
    if not upload:
        return None
    if upload.size > max_bytes:
        raise forms.ValidationError(_("The image must be %(mb)s MB or smaller.") % {"mb": max_bytes // (1024 * 1024)})
    head = upload.read(12)
    upload.seek(0)
    is_webp = head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    if not (head.startswith(IMAGE_SIGNATURES[:2]) or is_webp):
        raise forms.ValidationError(_("Upload a PNG, JPEG or WebP image."))
    return upload
