from django.urls import path

from courses import views

urlpatterns = [
    path("courses", views.course_list, name="course_list"),
    path("courses/<int:course_id>/users", views.course_people, name="course_people"),
]
