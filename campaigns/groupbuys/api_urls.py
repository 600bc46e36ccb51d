from django.urls import path

from . import apis

urlpatterns = [
    path("groupbuys/", apis.GroupBuyListApi.as_view(), name="api-groupbuys"),
    path("groupbuys/<int:groupbuy_id>/", apis.GroupBuyDetailApi.as_view(), name="api-groupbuy-detail"),
]
