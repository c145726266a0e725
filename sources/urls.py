from rest_framework.routers import SimpleRouter

from .views import EvidenceViewSet, FigureViewSet, SourceViewSet

# SimpleRouter: the API root view comes from cases.urls; a second one would shadow it.
router = SimpleRouter()
router.register("sources", SourceViewSet, basename="source")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("figures", FigureViewSet, basename="figure")

urlpatterns = router.urls
