"""The project's URLs plus ``/bench/constant/``: a bare view returning a constant, the floor of
what any request costs over the same HTTP stack (WSGI server, middleware, URL resolution)."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

CONSTANT: dict[str, object] = {"results": [], "next": None, "previous": None}


def constant(request: HttpRequest) -> JsonResponse:
    return JsonResponse(CONSTANT)


urlpatterns = [path("bench/constant/", constant), *project_urlpatterns]
