"""/b/<slug>/persona/: the brand persona that reps, campaigns and automations speak as."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from privtraffic.tenancy.customer_pages import CustomerPageView, CustomerScope
from privtraffic.tenancy.dashboard import BrandView, form_errors
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Perm

from .forms import PersonaForm
from .selectors import persona_get, persona_with_avatar
from .services import persona_may_manage, persona_save


class PersonaView(BrandView):
    permission = Perm.VIEW_DASHBOARD  # the service decides: campaigns or settings managers

    def get(self, request):
        self._check()
        persona = persona_get(brand=self.brand)
        initial = {"name": persona.name, "bio": persona.bio} if persona else {}
        return self._render(request, PersonaForm(initial=initial), persona)

    def post(self, request):
        self._check()
        form = PersonaForm(request.POST, request.FILES)
        if form.is_valid():
            with form_errors(form) as outcome:
                persona_save(brand=self.brand, actor=self.actor, name=form.cleaned_data["name"],
                             bio=form.cleaned_data["bio"], avatar=form.cleaned_data["avatar"] or None,
                             remove_avatar=form.cleaned_data["remove_avatar"])
            if outcome.ok:
                messages.success(request, _("Brand persona saved."))
                return redirect("chats:persona", slug=self.brand.slug)
        return self._render(request, form, persona_get(brand=self.brand), status=400)

    def _check(self) -> None:
        if not persona_may_manage(self.actor):
            raise ApplicationError.forbidden(_("Your role does not allow changing the brand persona."))

    def _render(self, request, form, persona, status=200):
        return render(request, "chats/persona.html", {"form": form, "persona": persona}, status=status)


AVATAR_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


class PersonaAvatarView(CustomerPageView):
    """The persona's avatar, for the brand's customers and staff (anyone else: 404); read from the storage backend,
    so it works in any setup."""

    def resolve(self, request, *, persona_id) -> CustomerScope:
        persona = persona_with_avatar(user=request.user, persona_id=persona_id)
        if persona is None:
            raise ApplicationError.not_found("persona")
        return CustomerScope(brand=persona.brand, extra={"persona": persona})

    def get(self, request, persona_id):
        avatar = self.scope.extra["persona"].avatar
        extension = avatar.name.rsplit(".", 1)[-1].lower()
        try:
            handle = avatar.open("rb")
        except OSError:
            raise Http404
        response = FileResponse(handle, content_type=AVATAR_TYPES.get(extension, "application/octet-stream"))
        response["Cache-Control"] = "private, max-age=86400"
        response["X-Content-Type-Options"] = "nosniff"
        return response
