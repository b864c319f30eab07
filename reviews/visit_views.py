"""The visit form (issue 4 item 3): being built."""

from django.http import HttpResponse


def visit(request, pk):
    return HttpResponse("The visit form is being built.", status=501)


def save_answer(request, pk, question_pk):
    return HttpResponse(status=501)


def save_note(request, pk, standard_pk):
    return HttpResponse(status=501)
