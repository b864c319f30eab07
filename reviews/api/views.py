"""``/api/v1/reviews/``: list, detail, plan or record a historic review, and the workflow
actions (SPEC §9): a step the rules forbid answers 403 or 409 with a reason."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from providers.evidence import Evidence
from qaf.scoping import can
from reviews import services
from reviews.api.serializers import (
    AddCommentSerializer,
    AnswerCommentSerializer,
    AnswerSerializer,
    CommentSerializer,
    DraftSerializer,
    ReasonSerializer,
    ReviewCreateSerializer,
    ReviewSerializer,
    SaveAnswerSerializer,
    SentToRegulatorSerializer,
    StaleAnswerSerializer,
)
from reviews.models import Answer, ReportComment, Review, Standard

# A review's answers and comments: every one, in a plain list (no pages, no filters, none of
# the review list's parameters), and the schema says so.
PLAIN_LIST = {"pagination_class": None, "filter_backends": []}


def _answer_data(review: Review, question) -> dict:
    """The question's answer as the server has it: an empty one (version 0) when nobody has
    answered it yet."""
    answer = Answer.objects.prefetch_related("evidence").filter(review=review, question=question)
    row = answer.first()
    if row is None:
        blank = {"question": question.pk, "score": "", "notes": "", "evidence": [], "version": 0}
        return {**dict.fromkeys(AnswerSerializer.Meta.fields), **blank}
    return AnswerSerializer(row).data


class ReviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Review.objects.all()
    serializer_class = ReviewSerializer
    filterset_fields = ["service", "status", "kind", "historic"]
    scope_action: str | None = None  # set per workflow action (qaf.permissions)
    ordering_fields = ["completed_on", "visit_date", "id"]
    # Hidden from provider users on some rows (ReviewSerializer): not an ordering for them.
    staff_only_ordering = ("visit_date",)

    def get_queryset(self):
        return Review.objects.visible_to(self.request.user).select_related("service")

    def _run(self, step, *args, **kwargs):
        """Take a step (reviews.services); a refusal is answered 403 or 409 with its reason and
        invalid input 400 (qaf.drf.exception_handler)."""
        review = step(*args, **kwargs)
        return Response(ReviewSerializer(review, context={"request": self.request}).data)

    @extend_schema(request=ReviewCreateSerializer, responses=ReviewSerializer)
    def create(self, request, *args, **kwargs):
        data = ReviewCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["historic"]:
            response = self._run(
                services.record_historic,
                v["service"],
                actor=request.user,
                kind=v["kind"],
                completed_on=v["completed_on"],
                rating=v["rating"],
            )
        else:
            response = self._run(
                services.plan_review,
                v["service"],
                actor=request.user,
                kind=v["kind"],
                officer=v.get("officer"),
                announced=v["announced"],
                visit_date=v.get("visit_date"),
            )
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=None, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], url_path="record-visit", scope_action="act")
    def record_visit(self, request, pk=None):
        return self._run(services.record_visit, self.get_object(), actor=request.user)

    @extend_schema(request=DraftSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], url_path="prepare-draft", scope_action="act")
    def prepare_draft(self, request, pk=None):
        review = self.get_object()  # the id first: an unknown one is a 404 whatever the body
        data = DraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(services.prepare_draft, review, actor=request.user, **data.validated_data)

    @extend_schema(request=None, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], url_path="share-draft", scope_action="act")
    def share_draft(self, request, pk=None):
        return self._run(services.share_draft, self.get_object(), actor=request.user)

    @extend_schema(request=None, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], scope_action="act")
    def finalise(self, request, pk=None):
        return self._run(services.finalise, self.get_object(), actor=request.user)

    @extend_schema(
        request=ReasonSerializer,
        responses=ReviewSerializer,
        summary="A manager issues the final report before the provider's comment deadline",
    )
    @action(detail=True, methods=["post"], url_path="finalise-early", scope_action="act")
    def finalise_early(self, request, pk=None):
        review = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            services.finalise_early,
            review,
            actor=request.user,
            reason=data.validated_data["reason"],
        )

    @extend_schema(
        request=None,
        responses=ReviewSerializer,
        summary="The provider has no further comments on the draft report",
    )
    @action(detail=True, methods=["post"], url_path="no-further-comments", scope_action="comment")
    def no_further_comments(self, request, pk=None):
        return self._run(services.no_further_comments, self.get_object(), actor=request.user)

    @extend_schema(request=ReasonSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], scope_action="act")
    def cancel(self, request, pk=None):
        review = self.get_object()  # the id first: an unknown one is a 404 whatever the body
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            services.cancel, review, actor=request.user, reason=data.validated_data["reason"]
        )

    @extend_schema(request=None, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], url_path="request-manager-review", scope_action="act")
    def request_manager_review(self, request, pk=None):
        return self._run(services.request_manager_review, self.get_object(), actor=request.user)

    @extend_schema(request=None, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], url_path="manager-reviewed", scope_action="act")
    def manager_reviewed(self, request, pk=None):
        return self._run(services.record_manager_review, self.get_object(), actor=request.user)

    @extend_schema(request=SentToRegulatorSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"], url_path="sent-to-regulator", scope_action="act")
    def sent_to_regulator(self, request, pk=None):
        review = self.get_object()  # the id first: an unknown one is a 404 whatever the body
        data = SentToRegulatorSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._run(
            services.record_sent_to_regulator,
            review,
            actor=request.user,
            on=data.validated_data.get("on"),
        )

    # --- The visit record: answers (staff) -----------------------------------------------------

    @extend_schema(
        methods=["get"], request=None, responses=AnswerSerializer(many=True), summary="Answers"
    )
    @extend_schema(
        methods=["post"],
        request=SaveAnswerSerializer,
        responses={200: AnswerSerializer, 409: StaleAnswerSerializer},
        summary="Save one answer (409 with the server's copy when the version is stale)",
    )
    @action(detail=True, methods=["get", "post"], scope_action="act", **PLAIN_LIST)
    def answers(self, request, pk=None):
        review = self.get_object()
        if request.method == "GET":
            rows = review.answers.prefetch_related("evidence").order_by("question_id")
            return Response(AnswerSerializer(rows, many=True).data)
        data = SaveAnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        question = get_object_or_404(services.questions_of(review), pk=v["question"])
        changes = {name: v[name] for name in ("score", "notes") if name in v}
        links = {
            name: list(Evidence.objects.filter(pk__in=v[f"{name}_evidence"]))
            for name in ("add", "remove")
        }
        try:
            with transaction.atomic():
                if changes:
                    services.save_answer(
                        review,
                        question,
                        actor=request.user,
                        expected_version=v["version"],
                        **changes,
                    )
                if v["add_evidence"] or v["remove_evidence"]:
                    if len(links["add"]) != len(set(v["add_evidence"])):
                        raise services.NotNow("Only the provider's own files can be linked.")
                    services.link_evidence(review, question, actor=request.user, **links)
        except services.Conflict:
            return Response(
                {
                    "detail": "Someone else saved this answer after your edit started: "
                    "nothing was saved. Here is the server's copy.",
                    "server": _answer_data(review, question),
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(_answer_data(review, question))

    # --- Comments on the shared draft (the provider writes, the officer answers) ---------------

    @extend_schema(
        methods=["get"], request=None, responses=CommentSerializer(many=True), summary="Comments"
    )
    @extend_schema(
        methods=["post"],
        request=AddCommentSerializer,
        responses={201: CommentSerializer},
        summary="Comment on the shared draft (the provider's users)",
    )
    @action(detail=True, methods=["get", "post"], scope_action="view", **PLAIN_LIST)
    def comments(self, request, pk=None):
        review = self.get_object()
        if request.method == "GET":
            rows = review.comments.prefetch_related("evidence")
            return Response(CommentSerializer(rows, many=True).data)
        if not can(request.user, "comment", Review):
            raise PermissionDenied("Only the provider's own users comment on its draft report.")
        data = AddCommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        ids = set(v["evidence"])
        files = list(Evidence.objects.visible_to(request.user).filter(pk__in=ids))
        if len(files) != len(ids):
            # Another provider's file and a missing one get the same answer.
            raise PermissionDenied("Only evidence from your own library can go with a comment.")
        standard = None
        if v.get("standard") is not None:
            sections = Standard.objects.filter(
                pk__in=services.questions_of(review).values("standard")
            )
            standard = sections.filter(pk=v["standard"]).first()
            if standard is None:
                raise ValidationError({"standard": ["Not a section of this report."]})
        comment = services.add_comment(
            review,
            actor=request.user,
            text=v["text"],
            standard=standard,
            evidence=files,
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AnswerCommentSerializer, responses=CommentSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"comments/(?P<comment_id>\d+)/answer",
        scope_action="act",
    )
    def answer_comment(self, request, pk=None, comment_id=None):
        review = self.get_object()
        comment = get_object_or_404(ReportComment, pk=comment_id, review=review)
        data = AnswerCommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.answer_comment(comment, actor=request.user, **data.validated_data)
        return Response(CommentSerializer(comment).data)
