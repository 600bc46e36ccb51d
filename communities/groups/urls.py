"""Dashboard pages for groups and their members (under /b/<slug>/), one route per member command.
A group page's invite-link commands are in invites/urls.py."""

from django.urls import path

from . import views

dashboard_urlpatterns: list = [
    path("b/<slug:slug>/groups/", views.GroupListView.as_view(), name="groups"),
    path("b/<slug:slug>/groups/<int:group_id>/", views.GroupDetailView.as_view(), name="group_detail"),
    path("b/<slug:slug>/groups/<int:group_id>/members/", views.GroupMembersView.as_view(), name="group_members"),
    path("b/<slug:slug>/groups/<int:group_id>/members/mute/", views.MemberMuteView.as_view(),
         name="group_member_mute"),
    path("b/<slug:slug>/groups/<int:group_id>/members/unmute/", views.MemberUnmuteView.as_view(),
         name="group_member_unmute"),
    path("b/<slug:slug>/groups/<int:group_id>/members/remove/", views.MemberRemoveView.as_view(),
         name="group_member_remove"),
    path("b/<slug:slug>/groups/<int:group_id>/members/promote/", views.MemberPromoteView.as_view(),
         name="group_member_promote"),
    path("b/<slug:slug>/groups/<int:group_id>/members/demote/", views.MemberDemoteView.as_view(),
         name="group_member_demote"),
]
