from django.urls import path

from courses import views

urlpatterns = [
    path("courses", views.course_list, name="course_list"),
    path("courses/<int:course_id>", views.course_detail, name="course_detail"),
    path("courses/<int:course_id>/settings", views.course_settings, name="course_settings"),
    path("register/student", views.student_sign_up_page, name="student_sign_up"),
]
