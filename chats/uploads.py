"""Checks for files people upload to chat (images and documents) and the brand persona's avatar.

Files are stored through Django's storage API (`default_storage`): local files under MEDIA_ROOT in the embedded
default, or any configured backend (django-storages for S3-compatible object storage, when installed). The type
is decided from the file's first bytes, never from its name or the browser's claim.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from privtraffic.tenancy.errors import ApplicationError

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_FILE_BYTES = 10 * 1024 * 1024

# (signature test, extension, content type)
_IMAGES = [
    (lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"), "png", "image/png"),
    (lambda h: h.startswith(b"\xff\xd8\xff"), "jpg", "image/jpeg"),
    (lambda h: h[:6] in (b"GIF87a", b"GIF89a"), "gif", "image/gif"),
    (lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP", "webp", "image/webp"),
]
_DOCUMENTS = [
    (lambda h: h.startswith(b"%PDF-"), "pdf", "application/pdf"),
]


@dataclass(frozen=True)
class CheckedFile:
    kind: str  # "image" or "file"
    extension: str
    content_type: str
    size: int
    name: str


def _head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return head


def _display_name(upload, extension: str) -> str:
    name = str(getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in "\x00<>\"'")[:100].strip()
    return name or f"file.{extension}"


def upload_check(upload, *, field: str = "file", images_only: bool = False) -> CheckedFile:
    """The upload's kind, type and size, or a clear `invalid` error (too big, empty, or a type we do not take)."""
    if upload is None or not hasattr(upload, "read"):
        raise ApplicationError("invalid", _("Choose a file."), fields={field: [_("Choose a file.")]})
    size = int(getattr(upload, "size", 0) or 0)
    if size <= 0:
        raise ApplicationError("invalid", _("The file is empty."), fields={field: [_("The file is empty.")]})
    head = _head(upload)
    for candidates, kind, limit in ((_IMAGES, "image", MAX_IMAGE_BYTES), (_DOCUMENTS, "file", MAX_FILE_BYTES)):
        if images_only and kind != "image":
            continue
        for test, extension, content_type in candidates:
            if test(head):
                if size > limit:
                    message = _("The file is too big (at most %(mb)d MB).") % {"mb": limit // (1024 * 1024)}
                    raise ApplicationError("invalid", message, fields={field: [message]})
                return CheckedFile(kind, extension, content_type, size, _display_name(upload, extension))
    message = (_("Upload a PNG, JPEG, GIF or WebP image.") if images_only
               else _("Upload an image (PNG, JPEG, GIF, WebP) or a PDF."))
    raise ApplicationError("invalid", message, fields={field: [message]})


def thumbnail_bytes(upload, *, size: int = 480) -> bytes | None:
    """A JPEG thumbnail when Pillow is installed (optional); None without it or for an image it cannot read."""
    try:
        from PIL import Image  # optional dependency
    except ImportError:
        return None
    import io

    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image.thumbnail((size, size))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80)
        return out.getvalue()
    except Exception:  # noqa: BLE001 - a picture Pillow cannot read simply has no thumbnail
        return None
    finally:
        upload.seek(0)
