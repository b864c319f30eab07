from django.urls import path

from escalation import queue, views

app_name = "escalation"

urlpatterns = [
    path("escalations/", queue.case_queue, name="case_queue"),
    path("escalations/<int:pk>/", queue.case_queue, name="case_detail"),  # MERGE: cases branch
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
]
