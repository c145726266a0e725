"""The project's URLs plus two of the benchmarks' own: ``/bench/constant/``, a bare view
returning a constant (the floor of what any request costs over the same HTTP stack: WSGI
server, middleware, URL resolution), and ``/bench/plain-cases/``, the plain ``ModelViewSet`` the
case list is compared with (``benchmarks.plain_viewset``)."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from benchmarks.plain_viewset import PlainCaseViewSet
from config.urls import urlpatterns as project_urlpatterns

CONSTANT: dict[str, object] = {"results": [], "next": None, "previous": None}


def constant(request: HttpRequest) -> JsonResponse:
    return JsonResponse(CONSTANT)


urlpatterns = [
    path("bench/constant/", constant),
    path("bench/plain-cases/", PlainCaseViewSet.as_view({"get": "list"})),
    *project_urlpatterns,
]
