from django.urls import path

from risk import dashboard, early_warning_views, views

app_name = "risk"

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("jobs/", views.job_runs, name="jobs"),
    path("jobs/run/", views.run_job_now, name="run_job"),
    path("risk/policy/", views.policy_detail, name="policy"),
    path("risk/policy/edit/", views.policy_edit, name="policy_edit"),
    path(
        "risk/early-warning/<int:pk>/recompute/",
        early_warning_views.recompute,
        name="early_warning_recompute",
    ),
]
