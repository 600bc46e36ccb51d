from django.urls import path

from . import apis

urlpatterns = [
    path("customers/", apis.CustomerListApi.as_view(), name="api-customers"),
    path("customers/<int:customer_id>/", apis.CustomerDetailApi.as_view(), name="api-customer-detail"),
    path("customers/<int:customer_id>/export/", apis.CustomerExportApi.as_view(), name="api-customer-export"),
    path("customers/<int:customer_id>/erase/", apis.CustomerEraseApi.as_view(), name="api-customer-erase"),
    path("customers/<int:customer_id>/reach/", apis.CustomerReachApi.as_view(), name="api-customer-reach"),
    path("customers/<int:customer_id>/reassign/", apis.CustomerReassignApi.as_view(), name="api-customer-reassign"),
    path("customers/<int:customer_id>/notes/", apis.CustomerNoteListApi.as_view(), name="api-customer-notes"),
    path("tags/", apis.TagListApi.as_view(), name="api-tags"),
    path("tags/<int:tag_id>/", apis.TagDetailApi.as_view(), name="api-tag-detail"),
    path("attributes/", apis.AttributeListApi.as_view(), name="api-attributes"),
    path("reps/<int:rep_id>/transfer-customers/", apis.RepCustomersTransferApi.as_view(),
         name="api-rep-customers-transfer"),
]
