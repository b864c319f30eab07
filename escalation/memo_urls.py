"""/memo/: the Managed Placements Memo (escalation.memo_views)."""

from django.urls import path

from escalation import memo_views

app_name = "memo"

urlpatterns = [
    path("", memo_views.current, name="current"),
    path("issue/", memo_views.issue, name="issue"),
    path("issues/<int:number>/", memo_views.issue_detail, name="issue_detail"),
    path("issues/<int:number>/pdf/", memo_views.issue_pdf, name="issue_pdf"),
]
