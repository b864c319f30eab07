"""Django forms rendered as GOV.UK Frontend components.

``FORM_RENDERER = "qaf.forms.GovukFormRenderer"`` makes ``{{ form }}`` render
``templates/forms/form.html`` (error summary, then each field) and ``{{ field.as_field_group }}``
render ``templates/forms/field.html``: the GOV.UK text input, textarea, select, checkbox(es),
radios or file upload for the field's widget, with its label, hint (the field's ``help_text``),
error message and ``aria-describedby`` wiring. Optional fields are marked "(optional)"; required
ones carry no asterisk.

A form chooses an input's width through the widget's class, e.g.
``forms.TextInput(attrs={"class": "govuk-input--width-10"})``; number, date and time inputs get
a sensible width by default. Radios and checkboxes take modifier classes the same way
(``forms.RadioSelect(attrs={"class": "govuk-radios--inline"})``). Dates are typed as text in the
en-GB order (27/3/2026); the hint says so unless the field has its own ``help_text``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting

DATE_HINT = "For example, 27/3/2026"
DATETIME_HINT = "For example, 27/3/2026 14:30"
TIME_HINT = "For example, 14:30"

# Default width class per widget, unless the form gives one.
_DEFAULT_WIDTHS: list[tuple[type[forms.Widget], str]] = [
    (forms.DateTimeInput, "govuk-input--width-20"),
    (forms.DateInput, "govuk-input--width-10"),
    (forms.TimeInput, "govuk-input--width-5"),
    (forms.NumberInput, "govuk-input--width-10"),
]


class GovukFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"

    def render(self, template_name: str, context: dict[str, Any], request=None) -> str:
        field = context.get("field")
        if template_name == self.field_template_name and isinstance(field, BoundField):
            context = {**context, "govuk": govuk_field_context(field)}
        return super().render(template_name, context, request)


def _classes(*names: str | None) -> str:
    return " ".join(name for name in names if name)


def _kind(widget: forms.Widget) -> str:
    if widget.is_hidden:
        return "hidden"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):  # also SelectMultiple and NullBooleanSelect
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.FileInput):  # also ClearableFileInput
        return "file"
    if isinstance(widget, forms.PasswordInput):
        return "password"
    if isinstance(widget, forms.widgets.Input):
        return "input"
    return "other"  # MultiWidget and custom widgets: rendered as they are, inside a form group


def _hint(field: BoundField) -> str:
    if field.help_text:
        return str(field.help_text)
    widget = field.field.widget
    if isinstance(widget, forms.DateTimeInput):
        return DATETIME_HINT
    if isinstance(widget, forms.DateInput):
        return DATE_HINT
    if isinstance(widget, forms.TimeInput):
        return TIME_HINT
    return ""


def govuk_field_context(field: BoundField) -> dict[str, Any]:
    """What ``forms/field.html`` needs to draw ``field`` as a GOV.UK component."""
    widget = field.field.widget
    kind = _kind(widget)
    field_id = widget.attrs.get("id") or field.auto_id or field.html_name
    hint = _hint(field)
    hint_id = f"{field_id}-hint" if hint else ""
    error_id = f"{field_id}-error" if field.errors else ""
    described_by = _classes(widget.attrs.get("aria-describedby"), hint_id, error_id)
    own_classes = widget.attrs.get("class", "")
    context: dict[str, Any] = {
        "kind": kind,
        "id": field_id,
        "hint": hint,
        "hint_id": hint_id,
        "error_id": error_id,
        "described_by": described_by,
        "optional": not field.field.required
        and kind != "checkbox"
        and getattr(field.form, "mark_optional", True),
    }
    attrs: dict[str, Any] = {}
    if described_by and kind not in {"radios", "checkboxes"}:
        attrs["aria-describedby"] = described_by
    if kind == "password":
        error = "govuk-input--error" if field.errors else ""
        attrs["class"] = _classes(
            "govuk-input govuk-password-input__input govuk-js-password-input-input",
            own_classes,
            error,
        )
        attrs.update(spellcheck="false", autocapitalize="none")
    elif kind == "input":
        width = "" if "govuk-input--width" in own_classes else _default_width(widget)
        error = "govuk-input--error" if field.errors else ""
        attrs["class"] = _classes("govuk-input", width, own_classes, error)
        if isinstance(widget, forms.DateInput | forms.DateTimeInput | forms.TimeInput):
            attrs["autocomplete"] = widget.attrs.get("autocomplete", "off")
        if isinstance(widget, forms.EmailInput | forms.URLInput):
            attrs["spellcheck"] = "false"
    elif kind == "textarea":
        error = "govuk-textarea--error" if field.errors else ""
        attrs["class"] = _classes("govuk-textarea", own_classes, error)
    elif kind == "select":
        error = "govuk-select--error" if field.errors else ""
        attrs["class"] = _classes("govuk-select", own_classes, error)
    elif kind == "checkbox":
        attrs["class"] = "govuk-checkboxes__input"
    elif kind == "file":
        error = "govuk-file-upload--error" if field.errors else ""
        attrs["class"] = _classes("govuk-file-upload", own_classes, error)
        context["current_file"] = getattr(field.initial, "name", "") or ""
        # A plain file input: ClearableFileInput would link to the stored file's URL, and
        # uploaded files are private (served only by permission-checked views).
        widget = forms.FileInput(attrs=widget.attrs)
    elif kind in {"radios", "checkboxes"}:
        context["group_classes"] = own_classes
        context["options"] = _options(field, kind)
    if kind not in {"radios", "checkboxes", "hidden"}:
        context["widget_html"] = field.as_widget(widget=widget, attrs=attrs)
    return context


def _default_width(widget: forms.Widget) -> str:
    for widget_class, width in _DEFAULT_WIDTHS:
        if isinstance(widget, widget_class):
            return width
    return ""


def _options(field: BoundField, kind: str) -> list[dict[str, Any]]:
    """Each radio or checkbox of a group as a widget dict for ``forms/input.html``."""
    input_class = "govuk-radios__input" if kind == "radios" else "govuk-checkboxes__input"
    options = []
    for subwidget in field.subwidgets:
        data = subwidget.data
        attrs = {
            key: value
            for key, value in data["attrs"].items()
            if key not in {"class", "aria-describedby"}
        }
        attrs["class"] = input_class
        options.append(
            {
                "id": attrs.get("id", ""),
                "label": data["label"],
                "widget": {
                    "type": data["type"],
                    "name": data["name"],
                    "value": data["value"],
                    "attrs": attrs,
                },
            }
        )
    return options


class YesNoNotKnownRadios(forms.RadioSelect):
    """Radios for a yes / no / not known field (a nullable ``BooleanField``, whose form field
    is ``NullBooleanField``): "Not known" is ``None``, as NullBooleanSelect has it."""

    def __init__(self, attrs=None, labels: tuple[str, str, str] = ("Yes", "No", "Not known")):
        yes, no, unknown = labels
        super().__init__(attrs, (("true", yes), ("false", no), ("unknown", unknown)))

    def format_value(self, value):
        return [forms.NullBooleanSelect.format_value(self, value)]

    def value_from_datadict(self, data, files, name):
        return forms.NullBooleanSelect.value_from_datadict(self, data, files, name)


class FieldsetsMixin:
    """Group a long form's fields under headings: ``fieldsets = [("Legend", ["a", "b"])]``.

    ``forms/form.html`` draws each group as a GOV.UK fieldset; fields not named in any group
    come last, without a heading.
    """

    fieldsets: list[tuple[str, list[str]]] = []

    def fieldset_groups(self) -> list[tuple[str, list[BoundField]]]:
        named = {name for _, names in self.fieldsets for name in names}
        groups = [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.fieldsets
        ]
        rest = [
            self[name] for name in self.fields if name not in named and not self[name].is_hidden
        ]
        if rest:
            groups.append(("", rest))
        return [(legend, fields) for legend, fields in groups if fields]


class SignInForm(AuthenticationForm):
    """Django's sign-in form with GOV.UK-style messages that never say which part was wrong."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct username and password. The password is case-sensitive.",
        "inactive": "This account has been closed. Contact the QAF administrator.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].error_messages["required"] = "Enter your password"


def add_model_errors(form: forms.Form, exc) -> None:
    """A model's ``ValidationError`` (from ``full_clean`` in a service) shown on ``form``: each
    message under the field of the same name, the rest above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def check_period(form: forms.Form, message: str, start="date_from", end="date_to") -> None:
    """A period's end may not come before its start: ``message`` on the end field."""
    first, last = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if first and last and last < first:
        form.add_error(end, message)
