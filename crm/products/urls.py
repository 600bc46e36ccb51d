"""Dashboard routes of the product catalogue: included by crm/urls.py (names crm_products:list, ...)."""

from django.urls import path

from . import views

app_name = "crm_products"

urlpatterns = [
    path("b/<slug:slug>/products/", views.ProductListView.as_view(), name="list"),
    path("b/<slug:slug>/products/pick/", views.ProductPickView.as_view(), name="pick"),
    path("b/<slug:slug>/products/<int:product_id>/", views.ProductEditView.as_view(), name="edit"),
]
