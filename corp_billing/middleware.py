from django.utils.cache import patch_cache_control


class PrivateNoStoreMiddleware:
    """A signed-in person's pages and documents (quote PDFs) hold account data: no shared or
    browser cache may keep them (``Cache-Control: private, no-store``), unless the view chose
    its own caching. Static files never reach this: whitenoise answers them further out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
