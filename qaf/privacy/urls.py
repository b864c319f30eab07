from django.urls import path

from qaf.privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.index, name="index"),
    path("access-log/", views.AccessLogList.as_view(), name="access_log"),
    path("subject-access/", views.subject_access, name="subject_access"),
]
