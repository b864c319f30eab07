"""Upload pages for the CQC and register imports (issue 3 item 8), at /imports/."""

from django.urls import path

from providers.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.job_list, name="job_list"),
    path("new/", views.job_create, name="job_create"),
    path("<int:pk>/", views.job_detail, name="job_detail"),
    path("<int:pk>/rejected.csv", views.rejected_rows_csv, name="rejected_rows"),
]
