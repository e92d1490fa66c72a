from django.urls import path

from rostering import views

urlpatterns = [
    path("accounts/<int:institution_id>/sis_imports", views.sis_imports, name="sis_imports"),
    path(
        "accounts/<int:institution_id>/sis_imports/<int:import_id>",
        views.sis_import_detail,
        name="sis_import_detail",
    ),
    path(
        "accounts/<int:institution_id>/sis_imports/<int:import_id>.json",
        views.sis_import_status,
        name="sis_import_status",
    ),
    path(
        "accounts/<int:institution_id>/sis_imports/<int:import_id>/confirm",
        views.sis_import_confirm,
        name="sis_import_confirm",
    ),
    path(
        "accounts/<int:institution_id>/sis_imports/<int:import_id>/cancel",
        views.sis_import_cancel_view,
        name="sis_import_cancel",
    ),
]
