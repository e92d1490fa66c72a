from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.errors import AccountError
from accounts.forms import ProfileForm
from accounts.services import user_profile_update


@require_http_methods(["GET", "POST"])
@login_required
def profile_settings(request):
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "name": user.name,
            "short_name": user.short_name,
            "sortable_name": user.sortable_name,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            user_profile_update(user=user, **form.cleaned_data)
        except AccountError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, "Your settings were saved.")
            return redirect("profile_settings")
    return render(request, "accounts/profile_settings.html", {"form": form})
