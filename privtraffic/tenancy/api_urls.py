from django.urls import path

from . import apis

urlpatterns = [
    path("stores/", apis.StoreListApi.as_view(), name="api-stores"),
    path("stores/<int:store_id>/", apis.StoreDetailApi.as_view(), name="api-store-detail"),
    path("reps/", apis.RepListApi.as_view(), name="api-reps"),
    path("reps/<int:rep_id>/", apis.RepDetailApi.as_view(), name="api-rep-detail"),
]
