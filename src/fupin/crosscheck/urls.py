from django.urls import path

from fupin.crosscheck import views

app_name = "crosscheck"

urlpatterns = [
    path("", views.lists, name="lists"),
    path("lists/<str:kind>/", views.entries, name="entries"),
    path("identification/", views.identification, name="identification"),
    path("identification/households/<int:pk>/", views.identification_household, name="identification_household"),
]
