from django.urls import path

from . import views

attachment_urlpatterns: list = [
    path("chat/files/<int:attachment_id>/", views.AttachmentView.as_view(), name="attachment"),
]
