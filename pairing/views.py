from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from courses.selectors import enrollments_for_user

HOME_COURSE_LIMIT = 20


@require_GET
@login_required
def home(request):
    """Each user's starting point, showing what they can do according to who they are.

    It lives in ``pairing`` because this app sits on top of the others: observers' linked students
    (issue 3) will join the courses and settings shown here.
    """
    enrollments = enrollments_for_user(user=request.user)
    return render(
        request,
        "pairing/home.html",
        {
            "enrollments": enrollments[:HOME_COURSE_LIMIT],
            "has_more": enrollments.count() > HOME_COURSE_LIMIT,
        },
    )
