from django.urls import path

from escalation import case_views, queue, views

app_name = "escalation"

urlpatterns = [
    path("escalations/", queue.case_queue, name="case_queue"),
    path("suspensions/", views.suspension_list, name="suspension_list"),
    path(
        "services/<int:service_pk>/suspensions/new/",
        views.suspension_propose,
        name="suspension_propose",
    ),
    path("suspensions/<int:pk>/", views.suspension_detail, name="suspension_detail"),
    path(
        "suspensions/<int:pk>/appeals/<int:appeal_pk>/decide/",
        views.appeal_decide,
        name="appeal_decide",
    ),
    path("suspensions/<int:pk>/<slug:step>/", views.suspension_step, name="suspension_step"),
    # Escalation cases (the queue, /escalations/, is escalation.queue's).
    path("services/<int:service_pk>/escalations/new/", case_views.case_open, name="case_open"),
    path("escalations/<int:pk>/", case_views.case_detail, name="case_detail"),
    path("escalations/<int:pk>/papers/", case_views.case_papers, name="case_papers"),
    path("escalations/<int:pk>/agenda/", case_views.case_agenda, name="case_agenda"),
    path("escalations/<int:pk>/step/<slug:step>/", case_views.case_step, name="case_step"),
]

# Quality Improvement Meetings (escalation/qim_urls.py).
from escalation.qim_urls import urlpatterns as qim_patterns  # noqa: E402

urlpatterns += qim_patterns

# Improvement plans (escalation/plan_urls.py).
from escalation.plan_urls import urlpatterns as plan_patterns  # noqa: E402

urlpatterns += plan_patterns
