from django.urls import path

from providers import cqc_views, portal_views, timeline_views, views

app_name = "providers"

urlpatterns = [
    path("providers/", views.ProviderList.as_view(), name="provider_list"),
    path("providers/new/", views.ProviderCreate.as_view(), name="provider_create"),
    path("providers/<int:pk>/", views.ProviderDetail.as_view(), name="provider_detail"),
    path("providers/<int:pk>/edit/", views.ProviderEdit.as_view(), name="provider_edit"),
    path("services/", views.ServiceList.as_view(), name="service_list"),
    path("services/new/", views.ServiceCreate.as_view(), name="service_create"),
    path("services/<int:pk>/", views.ServiceDetail.as_view(), name="service_detail"),
    path("services/<int:pk>/edit/", views.ServiceEdit.as_view(), name="service_edit"),
    path("cqc-sync/run/", cqc_views.run_now, name="cqc_sync_run"),
    # Everything about a service (or a provider), newest first, and as a PDF (issue 14).
    path("services/<int:pk>/timeline/", timeline_views.service_timeline, name="service_timeline"),
    path(
        "services/<int:pk>/timeline.pdf",
        timeline_views.service_timeline_pdf,
        name="service_timeline_pdf",
    ),
    path(
        "providers/<int:pk>/timeline/", timeline_views.provider_timeline, name="provider_timeline"
    ),
    path(
        "providers/<int:pk>/timeline.pdf",
        timeline_views.provider_timeline_pdf,
        name="provider_timeline_pdf",
    ),
    path("contracts/", views.ContractList.as_view(), name="contract_list"),
    path("contracts/new/", views.ContractCreate.as_view(), name="contract_create"),
    path("contracts/<int:pk>/", views.ContractDetail.as_view(), name="contract_detail"),
    path("contracts/<int:pk>/edit/", views.ContractEdit.as_view(), name="contract_edit"),
    path("intelligence/", views.IntelligenceList.as_view(), name="intelligence_list"),
    path("intelligence/new/", views.IntelligenceCreate.as_view(), name="intelligence_create"),
    path("intelligence/<int:pk>/", views.IntelligenceDetail.as_view(), name="intelligence_detail"),
    path("intelligence/<int:pk>/edit/", views.IntelligenceEdit.as_view(), name="intelligence_edit"),
    path("evidence/", views.evidence_library, name="evidence_library"),
    path("evidence/<int:pk>/", views.evidence_detail, name="evidence_detail"),
    path("evidence/<int:pk>/new-version/", views.evidence_new_version, name="evidence_new_version"),
    path("evidence/<int:pk>/download/", views.evidence_download, name="evidence_download"),
    path("providers/<int:pk>/evidence/", views.provider_evidence, name="provider_evidence"),
    # A provider's portal users and their invitations (issue 12).
    path("providers/<int:pk>/users/", portal_views.users, name="provider_users"),
    path("providers/<int:pk>/users/invite/", portal_views.invite, name="provider_user_invite"),
    path(
        "providers/<int:pk>/users/<int:user_pk>/<slug:step>/",
        portal_views.user_step,
        name="provider_user_step",
    ),
    path(
        "providers/<int:pk>/invitations/<int:invitation_pk>/<slug:step>/",
        portal_views.invitation_step,
        name="invitation_step",
    ),
    # The link in an invitation's email: no sign-in (it makes the account).
    path("invitations/<slug:secret>/", portal_views.accept, name="accept_invitation"),
]
