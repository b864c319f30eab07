"""Improvement plans' pages, in the ``escalation`` namespace (escalation/urls.py)."""

from django.urls import path

from escalation import plan_views as views

urlpatterns = [
    path("improvement-plans/", views.plan_list, name="plan_list"),
    path("improvement-plans/suggested/", views.suggestion_list, name="plan_suggestion_list"),
    path("services/<int:service_pk>/improvement-plan/new/", views.plan_open, name="plan_open"),
    path(
        "plan-suggestions/<int:pk>/not-needed/",
        views.suggestion_not_needed,
        name="plan_suggestion_not_needed",
    ),
    path("improvement-plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("improvement-plans/<int:pk>/details/", views.plan_edit, name="plan_edit"),
    path("improvement-plans/<int:pk>/issues/new/", views.plan_issue_add, name="plan_issue_add"),
    path(
        "improvement-plans/<int:pk>/issues/<int:issue_pk>/actions/new/",
        views.plan_action_add,
        name="plan_action_add",
    ),
    path(
        "improvement-plans/<int:pk>/actions/<int:action_pk>/change/",
        views.plan_action_edit,
        name="plan_action_edit",
    ),
    path(
        "improvement-plans/<int:pk>/actions/<int:action_pk>/remove/",
        views.plan_action_delete,
        name="plan_action_delete",
    ),
    path("improvement-plans/<int:pk>/return/", views.plan_return, name="plan_return"),
    path("improvement-plans/<int:pk>/step/<slug:step>/", views.plan_step, name="plan_step"),
    path(
        "improvement-actions/<int:pk>/update/",
        views.plan_action_update,
        name="plan_action_update",
    ),
    path(
        "improvement-actions/<int:pk>/step/<slug:step>/",
        views.plan_action_step,
        name="plan_action_step",
    ),
]
