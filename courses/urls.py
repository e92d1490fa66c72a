from django.urls import path

from courses import views

urlpatterns = [
    path("courses", views.course_list, name="course_list"),
    path("courses/<int:course_id>", views.course_detail, name="course_detail"),
]
