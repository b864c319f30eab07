"""Every resource of /api/v1/ registers on this one router (SPEC §9 names, kebab-case)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from providers.api.views import (
    ContractViewSet,
    EvidenceViewSet,
    IntelligenceViewSet,
    ProviderViewSet,
    ServiceViewSet,
)
from qaf.twofactor import obtain_auth_token
from reviews.api.information import InformationRequestViewSet
from reviews.api.views import ReviewViewSet

router = DefaultRouter()
router.register("providers", ProviderViewSet, basename="provider")
router.register("services", ServiceViewSet, basename="service")
router.register("contracts", ContractViewSet, basename="contract")
router.register("intelligence", IntelligenceViewSet, basename="intelligence")
router.register("reviews", ReviewViewSet, basename="review")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("information-requests", InformationRequestViewSet, basename="information-request")

urlpatterns = [
    # Staff with two-factor sign-in also send `otp_token` (qaf.twofactor).
    path("auth/token/", obtain_auth_token, name="token"),
    path("", include(router.urls)),
]
