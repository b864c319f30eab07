"""Review pages (issue 4 item 2): being built."""

from django.http import HttpResponse


def review_list(request):
    return HttpResponse(status=501)


def review_plan(request, service_pk):
    return HttpResponse(status=501)


def review_detail(request, pk):
    return HttpResponse(status=501)


def review_step(request, pk, step):
    return HttpResponse(status=501)
