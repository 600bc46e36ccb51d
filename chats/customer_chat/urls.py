"""The customer's chat pages under /chat/ (included by chats/urls.py, so names are chats:customer_home, ...)."""

from django.urls import path

from . import views

customer_chat_urlpatterns: list = [
    path("chat/", views.CustomerHomeView.as_view(), name="customer_home"),
    path("chat/group/<int:group_id>/", views.CustomerGroupView.as_view(), name="customer_group"),
    path("chat/group/<int:group_id>/leave/", views.CustomerGroupLeaveView.as_view(), name="customer_group_leave"),
    path("chat/direct/<int:customer_id>/", views.CustomerDirectView.as_view(), name="customer_direct"),
    path("chat/messages/<int:message_id>/report/", views.CustomerMessageReportView.as_view(),
         name="customer_report"),
]
