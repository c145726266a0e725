from django.urls import path
from rest_framework.routers import SimpleRouter

from .views.dossier import CountryDossierView, CountryListView

# SimpleRouter: the API root view comes from cases.urls; a second one would shadow it.
router = SimpleRouter()

urlpatterns = [
    *router.urls,
    path("countries/", CountryListView.as_view(), name="coalition-country-list"),
    path("countries/<str:code>/", CountryDossierView.as_view(), name="coalition-country-dossier"),
]
