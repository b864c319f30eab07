"""Where each evidence file was used (issue 12): one ``EvidenceUse`` row per file and linking
object, kept by signals rather than by each feature.

At start-up (``ProvidersConfig.ready``) every many-to-many field to ``providers.Evidence`` in
the project is found, and its through model's ``m2m_changed`` writes the uses (``post_add``)
and removes them (``post_remove``, ``post_clear``); deleting the linking object removes its
uses too. So a new kind of link (an improvement action's update, say) is tracked with no code
of its own. Who linked the file is the actor the service gave the object for its history
(``_history_user``), else the signed-in user of the request (simple-history's middleware).

A linking model may describe its use for the evidence page with ``evidence_use() -> (what,
url)``, ``evidence_use_kind`` (else its verbose name) and the relations that needs in
``evidence_use_related``; otherwise the page shows its verbose name and ``str()``, linking to
its page or its parent's. Who may see a use: ``evidence_uses_visible_to(user)`` on the model,
else its own scoping, else its parent's (``visible_owners``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete
from django.utils import timezone
from django.utils.text import capfirst
from simple_history.models import HistoricalRecords

from qaf.scoping import POLICY

logger = logging.getLogger(__name__)

EVIDENCE_LABEL = "providers.evidence"


def evidence_fields(models_: list[type[models.Model]]) -> list[models.ManyToManyField]:
    """The many-to-many fields to Evidence among ``models_`` (also used by the backfill
    migration on its historical models)."""
    return [
        field
        for model in models_
        if not model._meta.proxy
        for field in model._meta.local_many_to_many
        if field.remote_field.model._meta.label_lower == EVIDENCE_LABEL
    ]


def linking_models() -> list[type[models.Model]]:
    """The models that link evidence, each once."""
    return list(dict.fromkeys(field.model for field in evidence_fields(apps.get_models())))


def connect() -> None:
    """Connect the receivers for every many-to-many field to Evidence (once per field)."""
    for field in evidence_fields(apps.get_models()):
        through = field.remote_field.through
        m2m_changed.connect(_links_changed, sender=through, dispatch_uid=f"evidence-use-{through}")
        post_delete.connect(
            _owner_deleted, sender=field.model, dispatch_uid=f"evidence-use-{field.model}"
        )


def _actor(instance):
    user = getattr(instance, "_history_user", None)
    if user is None:
        request = getattr(HistoricalRecords.context, "request", None)
        user = getattr(request, "user", None)
    return user if getattr(user, "pk", None) and getattr(user, "is_authenticated", False) else None


def _links_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    from providers.evidence import EvidenceUse

    if action == "pre_clear" and reverse:
        # The file is unlinked from everything through this field: note from what, first.
        instance._evidence_cleared = _owners_of(sender, instance)
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # ``instance`` is the file, ``pk_set`` the linking objects
        owner_model = model
        if action == "post_clear":
            pk_set = getattr(instance, "_evidence_cleared", set())
        pairs = [(instance.pk, owner_pk) for owner_pk in pk_set or ()]
    else:
        owner_model = type(instance)
        pairs = [(evidence_pk, instance.pk) for evidence_pk in pk_set or ()]
    content_type = ContentType.objects.get_for_model(owner_model)
    if action == "post_add":
        now, actor = timezone.now(), _actor(instance)
        EvidenceUse.objects.bulk_create(
            [
                EvidenceUse(
                    evidence_id=evidence_pk,
                    content_type=content_type,
                    object_id=owner_pk,
                    used_at=now,
                    used_by=actor,
                )
                for evidence_pk, owner_pk in pairs
            ],
            ignore_conflicts=True,  # linked again: the first use stands
        )
        return
    if action == "post_clear" and not reverse:
        owners = {instance.pk}
    else:
        owners = {owner_pk for _, owner_pk in pairs}
    for owner_pk in owners:
        _forget_unlinked(owner_model, owner_pk, content_type)


def _owners_of(through, evidence) -> set[int]:
    source, target = _through_columns(through)
    return set(through.objects.filter(**{target: evidence.pk}).values_list(source, flat=True))


def _through_columns(through) -> tuple[str, str]:
    """The through model's column to the linking object, and the one to the file."""
    source = target = ""
    for field in through._meta.concrete_fields:
        if not field.is_relation:
            continue
        if field.related_model._meta.label_lower == EVIDENCE_LABEL:
            target = field.attname
        else:
            source = field.attname
    return source, target


def _forget_unlinked(owner_model, owner_pk: int, content_type) -> None:
    """Remove the uses of ``owner_pk`` by files it no longer links through any of its fields
    (a model may have two fields to Evidence; removing from one keeps the other's)."""
    from providers.evidence import EvidenceUse

    still = set()
    for field in evidence_fields([owner_model]):
        through = field.remote_field.through
        source, target = _through_columns(through)
        still |= set(through.objects.filter(**{source: owner_pk}).values_list(target, flat=True))
    EvidenceUse.objects.filter(content_type=content_type, object_id=owner_pk).exclude(
        evidence_id__in=still
    ).delete()


def _owner_deleted(sender, instance, **kwargs) -> None:
    from providers.evidence import EvidenceUse

    EvidenceUse.objects.filter(
        content_type=ContentType.objects.get_for_model(sender), object_id=instance.pk
    ).delete()


# --- Reading them -------------------------------------------------------------------------


def visible_owners(model: type[models.Model], user) -> models.QuerySet:
    """The linking objects of ``model`` that ``user`` may see: its own scoping, else its
    nearest scoped parent's (an answer's review; an action update's plan, through its action),
    else staff only."""
    custom = getattr(model, "evidence_uses_visible_to", None)
    if custom is not None:
        return custom(user)
    queryset = model._default_manager.all()
    path = _scoped_parent(model)
    if path is None:
        if getattr(user, "is_provider_user", False) or not user.is_authenticated:
            return queryset.none()  # nothing says the provider may see it: it does not
        return queryset
    lookup, parent = path
    if not lookup:
        return _scoped(model, user)
    return queryset.filter(**{f"{lookup}__in": _scoped(parent, user)})


def _scoped_parent(model, depth: int = 2) -> tuple[str, type[models.Model]] | None:
    """The lookup from ``model`` to the nearest model with ``visible_to`` (itself: ""),
    following foreign keys (never to users), nearest first, at most ``depth`` steps."""
    level = [("", model)]
    for _ in range(depth + 1):
        for lookup, candidate in level:
            if hasattr(candidate._default_manager.all(), "visible_to"):
                return lookup, candidate
        level = [
            ("__".join(filter(None, [lookup, field.name])), field.related_model)
            for lookup, candidate in level
            for field in candidate._meta.concrete_fields
            if field.many_to_one and field.related_model not in (None, _user_model())
        ]
    return None


def _scoped(model, user) -> models.QuerySet:
    manager = model._default_manager
    if model._meta.label_lower in POLICY:
        return manager.restrict(user, "view")
    return manager.visible_to(user)


def _user_model():
    return apps.get_model(settings.AUTH_USER_MODEL)


def uses_visible_to(evidence, user) -> models.QuerySet:
    """``evidence``'s uses on objects ``user`` may see, newest first."""
    parts = []
    for model in linking_models():
        content_type = ContentType.objects.get_for_model(model)
        parts.append(
            Q(content_type=content_type, object_id__in=visible_owners(model, user).values("pk"))
        )
    if not parts:
        return evidence.uses.none()
    return evidence.uses.filter(reduce(or_, parts)).select_related("used_by", "content_type")


@dataclass(frozen=True)
class Use:
    what: str
    url: str
    used_at: object
    used_by: object
    kind: str


def describe(uses) -> list[Use]:
    """The page's rows for ``uses`` (one page of them): one query per kind of linking object."""
    uses = list(uses)
    by_type: dict[int, list[int]] = {}
    for use in uses:
        by_type.setdefault(use.content_type_id, []).append(use.object_id)
    objects = {}
    for content_type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        # The model's own relations for its description; else every non-null one (its str()).
        related = getattr(model, "evidence_use_related", ())
        rows = model._default_manager.filter(pk__in=ids)
        for obj in rows.select_related(*related) if related else rows.select_related():
            objects[(content_type_id, obj.pk)] = obj
    rows = []
    for use in uses:
        obj = objects.get((use.content_type_id, use.object_id))
        if obj is None:
            continue
        what, url = describe_one(obj)
        rows.append(
            Use(
                what=what,
                url=url,
                used_at=use.used_at,
                used_by=use.used_by,
                kind=getattr(obj, "evidence_use_kind", "") or capfirst(obj._meta.verbose_name),
            )
        )
    return rows


def describe_one(obj) -> tuple[str, str]:
    """What the use was and where to see it: the model's own ``evidence_use()``, else its
    name and a link to its page (or its parent's)."""
    own = getattr(obj, "evidence_use", None)
    if own is not None:
        return own()
    label, text = str(obj._meta.verbose_name), str(obj)
    if text.lower().startswith(label.lower()):  # "Appeal against ...": it says what it is
        return capfirst(text), _url_of(obj)
    return f"{capfirst(label)}: {text}", _url_of(obj)


def _url_of(obj) -> str:
    if hasattr(obj, "get_absolute_url"):
        return obj.get_absolute_url()
    for field in obj._meta.concrete_fields:
        related = field.related_model
        if field.many_to_one and related is not None and hasattr(related, "get_absolute_url"):
            if related is _user_model():
                continue
            parent = getattr(obj, field.name, None)
            if parent is not None:
                return parent.get_absolute_url()
    return ""
