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
]
