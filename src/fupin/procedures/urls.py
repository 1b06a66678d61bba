from django.urls import path

from fupin.procedures import views

app_name = "procedures"

urlpatterns = [
    path("procedures/", views.work, name="work"),
    path("procedures/cases/", views.cases, name="cases"),
    path("procedures/cases/new/", views.case_new, name="case_new"),
    path("procedures/cases/<int:pk>/", views.case_detail, name="case"),
    path("procedures/cases/<int:pk>/act/", views.case_act, name="case_act"),
    path("procedures/cases/<int:pk>/files/<int:aid>/", views.attachment, name="attachment"),
    path("procedures/batch/", views.batch, name="batch"),
    path("procedures/batch/exits/", views.batch_exits, name="batch_exits"),
    path("procedures/batch/exits/jobs/<int:pk>/", views.exits_job, name="exits_job"),
    path("procedures/notices/", views.notices, name="notices"),
    path("procedures/notices/<int:pk>/", views.notice_detail, name="notice"),
    path("procedures/notices/<int:pk>/objections/", views.objection_new, name="objection_new"),
    path("procedures/objections/<int:pk>/resolve/", views.objection_resolve, name="objection_resolve"),
    # public: no login, de-identified content only
    path("notices/", views.public_list, name="public_notices"),
    path("notices/<int:pk>/", views.public_detail, name="public_notice"),
    path("notices/<int:pk>.pdf", views.public_pdf, name="public_notice_pdf"),
]
