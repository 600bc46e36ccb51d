from django.urls import path

from . import apis

urlpatterns = [
    path("invites/", apis.InviteListApi.as_view(), name="api-invites"),
    path("invites/<int:invite_id>/", apis.InviteDetailApi.as_view(), name="api-invite-detail"),
]
