"""Card endpoints (included by chats/urls.py: chats:card, chats:card_action, chats:inbox_card, ...)."""

from django.urls import path

from . import views

card_urlpatterns: list = [
    path("chat/cards/<slug:kind>/<int:ref>/", views.CustomerCardView.as_view(), name="card"),
    path("chat/cards/<slug:kind>/<int:ref>/<slug:verb>/", views.CustomerCardView.as_view(), name="card_action"),
    path("b/<slug:slug>/inbox/cards/<slug:kind>/<int:ref>/", views.InboxCardView.as_view(), name="inbox_card"),
    path("b/<slug:slug>/inbox/cards/<slug:kind>/<int:ref>/<slug:verb>/", views.InboxCardView.as_view(),
         name="inbox_card_action"),
]
