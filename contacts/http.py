"""Request type for views behind ``login_required``: there ``request.user`` is our ``User``."""

from django.http import HttpRequest

from .models import User


class AuthenticatedRequest(HttpRequest):
    user: User  # narrowed by login_required
