"""Dashboard routes of customer tags, attributes and notes (names are crm_profile:...)."""

from django.urls import path

from . import views

app_name = "crm_profile"

urlpatterns = [
    path("b/<slug:slug>/customers/tags/", views.TagsManageView.as_view(), name="tags"),
    path("b/<slug:slug>/customers/tags/attributes/", views.AttributeDefineView.as_view(), name="attribute_define"),
    path("b/<slug:slug>/customers/tags/<int:tag_id>/", views.TagEditView.as_view(), name="tag_edit"),
    path("b/<slug:slug>/customers/tags/<int:tag_id>/delete/", views.TagDeleteView.as_view(), name="tag_delete"),
    path("b/<slug:slug>/customers/<int:customer_id>/tags/", views.CustomerTagsView.as_view(),
         name="customer_tags"),
    path("b/<slug:slug>/customers/<int:customer_id>/attributes/", views.CustomerAttributesView.as_view(),
         name="customer_attributes"),
    path("b/<slug:slug>/customers/<int:customer_id>/notes/", views.CustomerNoteAddView.as_view(),
         name="customer_notes"),
]
