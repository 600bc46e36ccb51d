from django.urls import path

from . import moderation_views, views
from .dashboard_urls import inbox_urlpatterns

app_name = "chats"

urlpatterns = [
    path("chat/", views.customer_home, name="customer_home"),
    path("chat/group/<int:group_id>/", views.CustomerGroupView.as_view(), name="customer_group"),
    path("chat/group/<int:group_id>/leave/", views.customer_group_leave, name="customer_group_leave"),
    path("chat/direct/<int:customer_id>/", views.CustomerDirectView.as_view(), name="customer_direct"),
    path("chat/messages/<int:message_id>/report/", views.customer_message_report, name="customer_report"),
    path("b/<slug:slug>/quick-replies/", moderation_views.QuickReplyListView.as_view(), name="quick_replies"),
    path("b/<slug:slug>/reports/", moderation_views.ReportListView.as_view(), name="reports"),
    path("b/<slug:slug>/groups/<int:group_id>/rules/", moderation_views.GroupRuleView.as_view(), name="group_rules"),
    *inbox_urlpatterns,
]
