"""Quality Improvement Meetings' pages, in the ``escalation`` namespace (escalation/urls.py)."""

from django.urls import path

from escalation import qim_views as views

urlpatterns = [
    path("escalations/<int:case_pk>/qims/new/", views.qim_arrange, name="qim_arrange"),
    path("qims/<int:pk>/", views.qim_detail, name="qim_detail"),
    path("qims/<int:pk>/notes/", views.qim_notes, name="qim_notes"),
    path(
        "qims/<int:pk>/actions/<int:action_pk>/complete/",
        views.qim_action_complete,
        name="qim_action_complete",
    ),
    path("qims/<int:pk>/<slug:step>/", views.qim_step, name="qim_step"),
]
