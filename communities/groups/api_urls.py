from django.urls import path

from . import apis

urlpatterns = [
    path("groups/", apis.GroupListApi.as_view(), name="api-groups"),
    path("groups/<int:group_id>/", apis.GroupDetailApi.as_view(), name="api-group-detail"),
    path("groups/<int:group_id>/members/", apis.MemberListApi.as_view(), name="api-group-members"),
    path("groups/<int:group_id>/members/<int:customer_id>/", apis.MemberDetailApi.as_view(), name="api-group-member"),
]
