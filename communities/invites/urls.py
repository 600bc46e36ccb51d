"""Dashboard pages for invite links (under /b/<slug>/), and the group page's commands on its links."""

from django.urls import path

from . import views

dashboard_urlpatterns: list = [
    path("b/<slug:slug>/invites/", views.InviteListView.as_view(), name="invites"),
    path("b/<slug:slug>/invites/revoke/", views.InviteRevokeView.as_view(), name="invite_revoke"),
    path("b/<slug:slug>/invites/<int:invite_id>/", views.InviteDetailView.as_view(), name="invite_detail"),
    path("b/<slug:slug>/groups/<int:group_id>/invites/new/", views.GroupInviteCreateView.as_view(),
         name="group_invite_create"),
    path("b/<slug:slug>/groups/<int:group_id>/invites/revoke/", views.GroupInviteRevokeView.as_view(),
         name="group_invite_revoke"),
]
