from django.urls import path

from . import views
from .dashboard_urls import inbox_urlpatterns

app_name = "chats"

urlpatterns = [
    path("chat/", views.customer_home, name="customer_home"),
    path("chat/group/<int:group_id>/", views.CustomerGroupView.as_view(), name="customer_group"),
    path("chat/group/<int:group_id>/leave/", views.customer_group_leave, name="customer_group_leave"),
    path("chat/direct/<int:customer_id>/", views.CustomerDirectView.as_view(), name="customer_direct"),
    *inbox_urlpatterns,
]
