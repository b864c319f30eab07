"""Every resource of /api/v1/ registers on this one router (SPEC §9 names, kebab-case)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from escalation.api import SuspensionViewSet
from escalation.board_api import BoardMeetingViewSet
from escalation.case_api import EscalationCaseViewSet
from escalation.concern_api import ConcernLevelViewSet, ConcernSuggestionViewSet
from escalation.memo_api import MemoIssueViewSet, MemoViewSet
from escalation.plan_api import ImprovementPlanViewSet, PlanActionViewSet, PlanSuggestionViewSet
from escalation.qim_api import QualityImprovementMeetingViewSet
from escalation.revocation_api import RevocationViewSet
from providers.api.portal_users import InvitationViewSet, ProviderUserViewSet
from providers.api.views import (
    ContractViewSet,
    EvidenceViewSet,
    IntelligenceViewSet,
    ProviderViewSet,
    ServiceViewSet,
)
from qaf.privacy.api import AccessLogViewSet
from qaf.token_views import token_view
from reviews.api.information import InformationRequestViewSet
from reviews.api.shared import SharedOutcomeViewSet
from reviews.api.summaries import PublishedSummaryViewSet
from reviews.api.views import ReviewViewSet
from risk.early_warning_api import EarlyWarningViewSet


class Router(DefaultRouter):
    """Every resource is found by its numeric id: anything else where the id goes ("abc",
    "1.5", "-1") is a 404 from the URL resolver, before a view or a query runs. (An id beyond
    the database's range is a 404 too: Django answers an out-of-range lookup with no rows.)"""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        # [0-9], not \d: \d also matches other scripts' digits.
        value = getattr(viewset, "lookup_value_regex", "[0-9]+")
        return f"(?P<{lookup_prefix}{kwarg}>{value})"


router = Router()
router.register("providers", ProviderViewSet, basename="provider")
router.register("services", ServiceViewSet, basename="service")
router.register("contracts", ContractViewSet, basename="contract")
router.register("intelligence", IntelligenceViewSet, basename="intelligence")
router.register("reviews", ReviewViewSet, basename="review")
router.register("evidence", EvidenceViewSet, basename="evidence")
# Other councils' final review outcomes, and the export/import of the shared format.
router.register("shared-outcomes", SharedOutcomeViewSet, basename="shared-outcome")
router.register("information-requests", InformationRequestViewSet, basename="information-request")
router.register("suspensions", SuspensionViewSet, basename="suspension")
# The Managed Placements Memo: the draft and issuing it; its issues by number.
router.register("memo/issues", MemoIssueViewSet, basename="memo-issue")
router.register("memo", MemoViewSet, basename="memo")
router.register("concern-levels", ConcernLevelViewSet, basename="concern-level")
router.register("concern-suggestions", ConcernSuggestionViewSet, basename="concern-suggestion")
router.register("early-warnings", EarlyWarningViewSet, basename="early-warning")
router.register("board-meetings", BoardMeetingViewSet, basename="board-meeting")
router.register("escalations", EscalationCaseViewSet, basename="escalation")
router.register(
    "quality-improvement-meetings",
    QualityImprovementMeetingViewSet,
    basename="quality-improvement-meeting",
)
router.register("revocations", RevocationViewSet, basename="revocation")
router.register("improvement-plans", ImprovementPlanViewSet, basename="improvement-plan")
router.register(
    r"improvement-plans/(?P<plan_pk>[0-9]+)/actions",
    PlanActionViewSet,
    basename="improvement-plan-action",
)
router.register("plan-suggestions", PlanSuggestionViewSet, basename="plan-suggestion")
# A provider organisation's portal users and their invitations (issue 12).
router.register("provider-users", ProviderUserViewSet, basename="provider-user")
router.register("invitations", InvitationViewSet, basename="invitation")
# Data protection: who opened confidential entries and downloaded evidence (administrators).
router.register("access-log", AccessLogViewSet, basename="access-log")
# Public summaries of final reviews (issue 14 item 5): staff publish, withdraw and list them.
router.register("public-summaries", PublishedSummaryViewSet, basename="public-summary")

urlpatterns = [
    # POST issues (staff with two-factor sign-in also send `otp_token`), DELETE revokes.
    path("auth/token/", token_view, name="token"),
    path("", include(router.urls)),
]
