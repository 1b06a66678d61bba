from django.urls import path

from fupin.targets import views

app_name = "targets"

urlpatterns = [
    path("", views.progress, name="progress"),
]
