from rest_framework.routers import SimpleRouter

# SimpleRouter: the API root view comes from cases.urls; a second one would shadow it.
router = SimpleRouter()

urlpatterns = router.urls
