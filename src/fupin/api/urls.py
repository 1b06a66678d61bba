from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from fupin.api import assessments, views
from fupin.api.authentication import SessionAuthentication

# The schema views use the API's own authentication class so the schema names one security scheme.
AUTH = [SessionAuthentication]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(authentication_classes=AUTH), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", authentication_classes=AUTH),
         name="api-docs"),
    path("households/", views.HouseholdListView.as_view(), name="api-households"),
    path("households/<str:number>/", views.HouseholdDetailView.as_view(), name="api-household"),
    path("households/<str:number>/members/", views.MemberListView.as_view(), name="api-members"),
    path("households/<str:number>/members/<int:pk>/", views.MemberDetailView.as_view(), name="api-member"),
    path("households/<str:number>/unmask/", views.UnmaskView.as_view(), name="api-unmask"),
    path("households/<str:number>/exit/", assessments.HouseholdExitView.as_view(), name="api-household-exit"),
    path("assessment-runs/", assessments.AssessmentRunListView.as_view(), name="api-assessment-runs"),
    path("assessment-runs/<int:pk>/", assessments.AssessmentRunDetailView.as_view(), name="api-assessment-run"),
    path("assessment-runs/<int:pk>/results/", assessments.AssessmentRunResultsView.as_view(),
         name="api-assessment-run-results"),
    path("areas/", views.AreaListView.as_view(), name="api-areas"),
    path("areas/<str:code>/", views.AreaDetailView.as_view(), name="api-area"),
    path("jobs/<int:pk>/", views.JobDetailView.as_view(), name="api-job"),
    path("audit/", views.AuditListView.as_view(), name="api-audit"),
]
