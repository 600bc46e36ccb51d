from django.urls import path

from . import views

attachment_urlpatterns: list = [
    path("chat/files/<int:attachment_id>/", views.attachment_file, name="attachment"),
]
