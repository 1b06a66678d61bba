from django.contrib.auth import views as auth_views
from django.urls import path

from fupin.web import views

app_name = "web"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("households/", views.households, name="households"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/unmask/", views.household_unmask, name="household_unmask"),
    path("households/<int:pk>/members/new/", views.member_edit, name="member_create"),
    path("households/<int:pk>/members/<int:member_pk>/edit/", views.member_edit, name="member_edit"),
    path("import/", views.import_upload, name="import"),
    path("export/", views.export_start, name="export"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/download/", views.job_download, name="job_download"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/report.<str:fmt>", views.job_report, name="job_report"),
    path("areas/", views.areas, name="areas"),
    path("areas/<str:code>/", views.area_detail, name="area"),
    path("areas/<str:code>/attributes/", views.village_attributes_edit, name="village_attributes"),
    path("audit/", views.audit, name="audit"),
]
