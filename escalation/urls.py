from django.urls import path

from escalation import views

app_name = "escalation"

urlpatterns = [
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

# Quality Improvement Meetings (escalation/qim_urls.py).
from escalation.qim_urls import urlpatterns as qim_patterns  # noqa: E402

urlpatterns += qim_patterns
