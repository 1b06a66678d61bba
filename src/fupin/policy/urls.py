from django.urls import path

from fupin.policy import views

app_name = "policy"

urlpatterns = [
    path("", views.runs, name="runs"),
    path("start/", views.run_start, name="run_start"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/results.csv", views.run_csv, name="run_csv"),
    path("packs/", views.packs, name="packs"),
    path("households/<int:pk>/exit/", views.household_exit_panel, name="household_exit"),
]
