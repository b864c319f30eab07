from django.urls import include, path

app_name = "reviews"

urlpatterns = [
    path("toolkits/", include("reviews.toolkit_urls")),
]
