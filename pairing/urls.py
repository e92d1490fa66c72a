from django.urls import path

from pairing import views

urlpatterns = [
    path("", views.home, name="home"),
]
