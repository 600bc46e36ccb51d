"""Dashboard routes of customer tags, attributes and notes: include with `path("", include("crm.profile_urls"))`."""

from django.urls import path

from . import profile_views

app_name = "crm_profile"

urlpatterns = [
    path("b/<slug:slug>/customers/tags/", profile_views.TagsManageView.as_view(), name="tags"),
    path("b/<slug:slug>/customers/tags/<int:tag_id>/", profile_views.TagEditView.as_view(), name="tag_edit"),
    path("b/<slug:slug>/customers/tags/<int:tag_id>/delete/", profile_views.TagDeleteView.as_view(),
         name="tag_delete"),
    path("b/<slug:slug>/customers/<int:customer_id>/tags/", profile_views.CustomerTagsView.as_view(),
         name="customer_tags"),
    path("b/<slug:slug>/customers/<int:customer_id>/attributes/", profile_views.CustomerAttributesView.as_view(),
         name="customer_attributes"),
    path("b/<slug:slug>/customers/<int:customer_id>/notes/", profile_views.CustomerNoteAddView.as_view(),
         name="customer_notes"),
]
