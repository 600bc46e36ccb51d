"""Dashboard and customer routes of consent (in the crm: namespace, see crm/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("b/<slug:slug>/customers/contact-policy/", views.ContactPolicyView.as_view(), name="contact_policy"),
    path("o/<str:token>/", views.PromotionsOptOutView.as_view(), name="promotions_opt_out"),
]
