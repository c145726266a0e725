from rest_framework.routers import SimpleRouter

from .views.reports import StatusReportViewSet

# SimpleRouter: the API root view comes from cases.urls; a second one would shadow it.
router = SimpleRouter()
router.register("reports", StatusReportViewSet, basename="report")

urlpatterns = [
    *router.urls,
]
