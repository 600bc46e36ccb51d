"""Dashboard pages for groups, members and invite links (under /b/<slug>/)."""

from django.urls import path

from . import dashboard_views as views

dashboard_urlpatterns: list = [
    path("b/<slug:slug>/groups/", views.GroupListView.as_view(), name="groups"),
    path("b/<slug:slug>/groups/<int:group_id>/", views.GroupDetailView.as_view(), name="group_detail"),
    path("b/<slug:slug>/groups/<int:group_id>/members/", views.GroupMembersView.as_view(), name="group_members"),
    path("b/<slug:slug>/invites/", views.InviteListView.as_view(), name="invites"),
    path("b/<slug:slug>/invites/<int:invite_id>/", views.InviteDetailView.as_view(), name="invite_detail"),
]
