"""Nothing a signed-in user is shown is kept by a cache (issue 8).

Pages, API answers, CSV/XLSX downloads, issued PDFs and evidence files can all hold personal or
safeguarding data, so every answer to a signed-in user (session or API token) says
``Cache-Control: no-store, private``: no shared proxy keeps it, and the browser keeps no copy on
disk for the next person at a shared computer. Static files (WhiteNoise answers them before
this middleware runs) and pages answered to anonymous visitors keep their own headers.
"""

from __future__ import annotations

from django.utils.cache import patch_cache_control


class NoStoreWhenSignedInMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # After the view: DRF sets request.user for a token when the view authenticates it.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
