from django.urls import path

from fupin.policy import views_areas

app_name = "area_exit"

urlpatterns = [
    path("villages/", views_areas.village_results, name="villages"),
    path("counties/", views_areas.county_results, name="counties"),
]
