"""/chat/files/<id>/: an attachment, for those who see its conversation (staff or customer); anyone else 404."""

from django.http import FileResponse, Http404

from privtraffic.tenancy.customer_pages import CustomerPageView, CustomerScope
from privtraffic.tenancy.errors import ApplicationError

from .selectors import attachment_visible_get


class AttachmentView(CustomerPageView):
    def resolve(self, request, *, attachment_id) -> CustomerScope:
        attachment = attachment_visible_get(user=request.user, attachment_id=attachment_id)
        if attachment is None:
            raise ApplicationError.not_found("file")
        return CustomerScope(brand=attachment.brand, extra={"attachment": attachment})

    def get(self, request, attachment_id):
        attachment = self.scope.extra["attachment"]
        thumb = request.GET.get("thumb") == "1" and bool(attachment.thumbnail)  # a flag: anything else is the file
        field = attachment.thumbnail if thumb else attachment.file
        try:
            handle = field.open("rb")
        except OSError:
            raise Http404
        is_image = thumb or attachment.content_type.startswith("image/")
        response = FileResponse(handle, content_type="image/jpeg" if thumb else attachment.content_type,
                                as_attachment=not is_image, filename=attachment.name)
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
