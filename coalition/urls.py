from rest_framework.routers import SimpleRouter

from .views.lists import ChildListEntryViewSet, ChildListViewSet

# SimpleRouter: the API root view comes from cases.urls; a second one would shadow it.
router = SimpleRouter()
router.register("lists", ChildListViewSet, basename="coalition-list")
router.register("list-entries", ChildListEntryViewSet, basename="coalition-list-entry")

urlpatterns = router.urls
