"""Logging in (the password form, and the institution's discovery page of its identity
providers) and logging out; where each may lead next (accounts.services.redirect_target_allowed)."""

from django.contrib.auth import views as auth_views

from accounts.forms import LoginForm
from accounts.models import SelfRegistration
from accounts.selectors import institution_for_host
from accounts.services import act_as_stop, redirect_target_allowed, sign_up_open_to_everyone
from accounts.sso import content_security_policy, providers_for_host


class _NextOnThisHost:
    """Django's ``next`` handling, with the portal's rule of where it may lead."""

    def get_redirect_url(self):
        target = self.request.POST.get(
            self.redirect_field_name, self.request.GET.get(self.redirect_field_name)
        )
        return target if redirect_target_allowed(url=target, request=self.request) else ""


class LogoutView(_NextOnThisHost, auth_views.LogoutView):
    """Logging out while acting as someone also ends (and records the end of) the acting."""

    def post(self, request, *args, **kwargs):
        if getattr(request, "act_as", None) is not None:
            act_as_stop(session=request.act_as)
        return super().post(request, *args, **kwargs)


class LoginView(_NextOnThisHost, auth_views.LoginView):
    """The log-in page, and the institution's discovery page: "Sign in with" each identity
    provider of the institution whose host this is, and the password form (parents keep local
    accounts). With a default provider, a visit goes straight to it; ?local=1 shows the page."""

    redirect_authenticated_user = True
    authentication_form = LoginForm

    def dispatch(self, request, *args, **kwargs):
        self.providers = providers_for_host(request)
        response = super().dispatch(request, *args, **kwargs)
        response.headers["Content-Security-Policy"] = content_security_policy(self.providers)
        return response

    def get(self, request, *args, **kwargs):
        default = next((provider for provider in self.providers if provider.is_default), None)
        if default is not None and not request.GET.get("local"):
            # Starts allauth's sign-in (its state kept in this session) without its own page.
            return default.app.get_provider(request).redirect_from_request(request)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        institution = institution_for_host(self.request.get_host())
        context["sign_up_open"] = (
            institution is not None and institution.self_registration != SelfRegistration.NONE
        )
        # "All account types": students and teachers sign up too (Canvas's "Need an account?").
        context["sign_up_for_everyone"] = sign_up_open_to_everyone(institution)
        context["identity_providers"] = [
            (provider.app.name, provider.app.get_provider(self.request).get_login_url(self.request))
            for provider in self.providers
        ]
        return context
