"""Table rows drawn in Python ({% table_rows %}, qaf/templatetags/qaf_tables.py) are the rows
templates/includes/table.html drew with template tags: the same cells, attributes, classes,
localisation and escaping, for columns whose attributes are fixed or computed per record."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import django_tables2 as tables
import pytest
from django.template import Context, Template
from django.test import RequestFactory

from providers.models import Service

# The body rows as includes/table.html drew them before {% table_rows %}.
TEMPLATE_ROWS = (
    "{% for row in table.paginated_rows %}"
    '<tr class="govuk-table__row{% if row.attrs.class %} {{ row.attrs.class }}{% endif %}"'
    "{% for name, value in row.attrs.items %}"
    '{% if name != "class" %} {{ name }}="{{ value }}"{% endif %}{% endfor %}>'
    "{% for column, cell in row.items %}{% with td=column.attrs.td %}"
    '<td class="govuk-table__cell{% if td.class %} {{ td.class }}{% endif %}"'
    "{% for name, value in td.items %}"
    '{% if name != "class" and name|first != "_" %} {{ name }}="{{ value }}"{% endif %}'
    "{% endfor %}>"
    "{% if column.localize == None %}{{ cell }}{% else %}"
    "{% if column.localize %}{{ cell|localize }}{% else %}{{ cell|unlocalize }}{% endif %}"
    "{% endif %}</td>"
    "{% endwith %}{% endfor %}</tr>\n"
    "{% endfor %}"
)


class Everything(tables.Table):
    name = tables.Column(linkify=True)
    postcode = tables.Column(attrs={"td": {"class": "govuk-table__cell--numeric", "lang": "en"}})
    beds = tables.Column(localize=True, accessor="registered_beds")
    fee = tables.Column(localize=False, empty_values=(), accessor="pk")
    odd = tables.Column(
        empty_values=(),
        accessor="pk",
        attrs={"td": {"data-flag": lambda record: f"<{record.name}>", "_ordering": "x"}},
    )
    inspected = tables.DateColumn(accessor="last_inspection_date")

    class Meta:
        model = Service
        fields = ["name", "postcode", "beds", "fee", "odd", "inspected"]
        row_attrs = {"data-id": lambda record: record.pk, "class": "qaf-row"}

    def render_fee(self, record):
        return Decimal("1234.5") if record.pk % 2 else 1234567

    def render_odd(self, record):
        return record.name  # escaped: a name may hold markup


def _normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.django_db
def test_rows_drawn_in_python_are_the_templates(sunrise_house, oak_lodge_home):
    oak_lodge_home.name = 'Oak <Lodge> & "Home"'
    oak_lodge_home.postcode = "AB<1>2CD"
    oak_lodge_home.last_inspection_date = date(2026, 3, 14)
    oak_lodge_home.save()
    request = RequestFactory().get("/services/")
    table = Everything(Service.objects.order_by("pk"), order_by="name")
    tables.RequestConfig(request, paginate={"per_page": 50}).configure(table)

    theirs = Template("{% load l10n %}" + TEMPLATE_ROWS).render(Context({"table": table}))
    ours = Template("{% load qaf_tables %}{% table_rows table %}").render(Context({"table": table}))

    assert _normalised(ours) == _normalised(theirs)
    assert "Oak &lt;Lodge&gt; &amp; &quot;Home&quot;" in ours  # escaped, not markup
    assert 'data-flag="&lt;Oak' in ours  # an attribute computed per record, escaped
    assert "_ordering" not in ours
    assert "14/03/2026" in ours or "14 Mar 2026" in ours  # dates localised as en-GB


@pytest.mark.django_db
def test_an_empty_table_says_so(client_for, officer_olivia):
    page = client_for(officer_olivia).get("/services/", {"q": "no service is called this"})
    assert page.status_code == 200
    assert "No results found." in page.content.decode() or "No services" in page.content.decode()
