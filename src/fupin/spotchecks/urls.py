from django.urls import path

from fupin.spotchecks import views

app_name = "spotchecks"

urlpatterns = [
    path("", views.index, name="index"),
    path("draw/", views.draw, name="draw"),
    path("sampled/<int:pk>/", views.record, name="record"),
    path("<str:county>/<int:year>/", views.detail, name="detail"),
    path("<str:county>/<int:year>/survey/", views.survey, name="survey"),
]
