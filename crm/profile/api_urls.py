from django.urls import path

from . import apis

urlpatterns = [
    path("customers/<int:customer_id>/notes/", apis.CustomerNoteListApi.as_view(), name="api-customer-notes"),
    path("tags/", apis.TagListApi.as_view(), name="api-tags"),
    path("tags/<int:tag_id>/", apis.TagDetailApi.as_view(), name="api-tag-detail"),
    path("attributes/", apis.AttributeListApi.as_view(), name="api-attributes"),
]
