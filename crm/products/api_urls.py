from django.urls import path

from . import apis

urlpatterns = [
    path("products/", apis.ProductListApi.as_view(), name="api-products"),
    path("products/bulk/", apis.ProductBulkApi.as_view(), name="api-products-bulk"),
    path("products/<int:product_id>/", apis.ProductDetailApi.as_view(), name="api-product-detail"),
]
