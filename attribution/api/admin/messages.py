"""The admin page's words in English and Romanian (admin.language); templates call t("key")."""

from __future__ import annotations

import ast
import re
from string import Formatter
from typing import Any

from attribution.registry.schemas import LABELS

LANGUAGES = ("en", "ro")

EN: dict[str, str] = {
    "app.title": "Lead sources",
    "app.brand": "Attribution admin",
    "app.skip": "Skip to main content",
    "app.nav": "Admin",
    "nav.sources": "Lead sources",
    "nav.report": "Latest weekly report ({label})",
    "nav.no_report": "No weekly report yet",
    "nav.docs": "API docs",
    "nav.tokens": "API tokens",
    "nav.signed_in_as": "Signed in as {name}",
    "nav.sign_out": "Sign out",
    "sign_in.title": "Sign in",
    "sign_in.intro": "Sign in with an API token. Create one with: attribution tokens create NAME",
    "sign_in.token": "API token",
    "sign_in.submit": "Sign in",
    "sign_in.missing": "Enter an API token.",
    "sign_in.invalid": "That token is not valid, or it was revoked.",
    "sign_in.too_many": "Too many failed attempts from this address; try again in {seconds} s.",
    "sign_in.signed_out": "You have signed out.",
    "sign_in.done": "Signed in as {name}.",
    "list.filters": "Find sources",
    "list.search": "Search",
    "list.search_help": "Name, channel or UTM value",
    "list.channel": "Channel",
    "list.all_channels": "All channels",
    "list.status": "Status",
    "list.all_statuses": "Active and retired",
    "list.only_active": "Active",
    "list.only_retired": "Retired",
    "list.per_page": "Per page",
    "list.apply": "Apply",
    "list.reset": "Clear filters",
    "list.add": "Add source",
    "list.caption": "Lead sources: {total} found, page {page} of {pages}",
    "list.empty": "No lead source matches.",
    "list.total_leads": "Total Leads: {n}",
    "list.select_row": "Select {name}",
    "list.select_all": "Select all on this page",
    "list.selected": "{n} selected",
    "list.edit": "Edit",
    "list.delete": "Delete",
    "list.retire": "Retire",
    "list.pages": "Pages",
    "list.previous": "Previous page",
    "list.next": "Next page",
    "list.page_of": "Page {page} of {pages}",
    "col.select": "Select",
    "col.name": "Name",
    "col.channel": "Channel",
    "col.utm": "UTM rule",
    "col.status": "Status",
    "col.leads": "Leads",
    "col.created": "Created",
    "col.actions": "Actions",
    "status.active": "Active",
    "status.retired": "Retired",
    "bulk.legend": "With the selected sources",
    "bulk.channel": "New channel",
    "bulk.set_channel": "Set channel",
    "bulk.retire": "Retire",
    "bulk.activate": "Activate",
    "bulk.delete": "Delete",
    "bulk.export": "Export CSV",
    "bulk.export_help": "With none selected, Export CSV exports the filtered list.",
    "bulk.none_selected": "Select at least one source first.",
    "bulk.unknown": "Choose one of the actions.",
    "bulk.no_channel": "Enter the new channel first.",
    "bulk.done.deactivate": "Sources retired: {n}.",
    "bulk.done.activate": "Sources activated: {n}.",
    "bulk.done.set_channel": "Channel set to “{channel}”; sources changed: {n}.",
    "bulk.done.delete": "Sources deleted: {n}.",
    "bulk.refused": "Nothing was changed:",
    "bulk.confirm_title": "Delete the selected sources ({n})?",
    "bulk.confirm_submit": "Delete the selected sources",
    "form.new_title": "Add source",
    "form.edit_title": "Edit “{name}”",
    "form.name": "Name",
    "form.channel": "Channel",
    "form.channel_help": "The channel group the source rolls up to; empty means Unassigned.",
    "form.utm_source": "UTM source",
    "form.utm_medium": "UTM medium",
    "form.utm_campaign": "UTM campaign",
    "form.utm_legend": "UTM rule",
    "form.utm_help": "Incoming touches whose UTM values match are mapped to this source.",
    "form.active": "Active (offered in pick lists)",
    "form.create": "Add source",
    "form.save": "Save",
    "form.cancel": "Cancel",
    "form.errors": "The source was not saved:",
    "form.created": "Added “{name}”.",
    "form.saved": "Saved “{name}”.",
    "delete.title": "Delete “{name}”?",
    "delete.explain": "Deleting cannot be undone. A source that leads still name cannot be "
    "deleted: retire it instead.",
    "delete.submit": "Delete “{name}”",
    "delete.done": "Deleted “{name}”.",
    "delete.refused_title": "“{name}” cannot be deleted",
    "delete.retire_offer": "Retire it instead: it keeps its history and leaves the pick lists.",
    "delete.retire": "Retire “{name}”",
    "delete.already_retired": "It is already retired.",
    "delete.back": "Back to the list",
    "error.forbidden_title": "Not allowed",
    "error.forbidden": "The token you signed in with ({name}) lacks the “{capability}” "
    "capability that this needs. Sign in with another token.",
    "error.csrf": "This form is out of date or did not come from this site, so nothing was "
    "changed. Go back, reload the page and try again.",
    "error.not_found_title": "Not found",
    "error.not_found": "There is no lead source with id {id}.",
    "tokens.title": "API tokens",
    "tokens.caption": "Every API token, revoked ones too; a secret is never shown here",
    "tokens.col.name": "Name",
    "tokens.col.prefix": "Starts with",
    "tokens.col.capabilities": "Capabilities",
    "tokens.col.created": "Created (UTC)",
    "tokens.col.last_used": "Last used (UTC)",
    "tokens.col.revoked": "Revoked (UTC)",
    "tokens.col.actions": "Actions",
    "tokens.never": "Never",
    "tokens.active": "Active",
    "tokens.revoke": "Revoke “{name}”",
    "tokens.revoked_done": "Revoked “{name}”: it is refused from the next request on.",
    "tokens.missing": "There is no token named “{name}”; nothing was revoked.",
    "tokens.create_title": "Create a token",
    "tokens.name": "Name",
    "tokens.name_help": "What uses it, e.g. crm-sync",
    "tokens.capabilities": "Capabilities",
    "tokens.capabilities_help": "A token may grant only the capabilities of the token you "
    "signed in with ({held}).",
    "tokens.submit": "Create token",
    "tokens.errors": "The token was not created:",
    "tokens.name_required": "Enter a name, e.g. crm-sync.",
    "tokens.name_bad": "A name is printable text of at most {limit} characters, without “/”.",
    "tokens.none_chosen": "Tick at least one capability.",
    "tokens.beyond": "You cannot grant {caps}: a token may grant only the capabilities of the "
    "token you signed in with ({held}).",
    "tokens.name_taken": "A token named “{name}” exists; pick another name.",
    "tokens.created_title": "Token “{name}” created",
    "tokens.secret_once": "Copy this token now: it will not be shown again (only its SHA-256 "
    "is kept).",
    "tokens.secret_label": "Token",
    "tokens.granted": "Capabilities: {caps}",
    "tokens.back": "Back to the tokens",
    "num.thousands": ",",
    # The registry's messages (attribution/registry/), word for word as it raises them: the
    # admin page finds a message's key by matching these (see Messages.registry).
    "registry.required": "The {label} field is required.",
    "registry.too_long": "The {label} field cannot exceed {limit} characters in length.",
    "registry.not_text": "The {label} field must be text.",
    "registry.not_boolean": "The {label} field must be true or false.",
    "registry.name_taken": "A lead source named {name!r} already exists.",
    "registry.utm_claimed": "{name!r} and {other!r} cannot both claim the UTM rule {rule}: "
    "a touch maps to one source only.",
    "registry.clash": "The change clashes with a concurrent one; try again.",
    "registry.default_source": "The lead source is the configured default source and cannot be "
    "deleted.",
    "registry.in_use_leads": "The lead source is in use by {n} leads and cannot be deleted.",
    "registry.in_use_touches": "The lead source is in use by {n} touches rows and cannot be "
    "deleted.",
    "registry.in_use_spend": "The lead source is in use by {n} spend rows and cannot be deleted.",
    "registry.in_use_both": "The lead source is in use by {touches} touches rows and {spend} "
    "spend rows and cannot be deleted.",
    "registry.missing": "No such lead source.",
}

RO: dict[str, str] = {
    "app.title": "Surse Lead-uri",
    "app.brand": "Administrare atribuire",
    "app.skip": "Salt la conținutul principal",
    "app.nav": "Administrare",
    "nav.sources": "Surse Lead-uri",
    "nav.report": "Cel mai recent raport săptămânal ({label})",
    "nav.no_report": "Încă nu există un raport săptămânal",
    "nav.docs": "Documentația API",
    "nav.tokens": "Token-uri API",
    "nav.signed_in_as": "Conectat ca {name}",
    "nav.sign_out": "Deconectare",
    "sign_in.title": "Autentificare",
    "sign_in.intro": "Autentificați-vă cu un token API. Creați unul cu: "
    "attribution tokens create NUME",
    "sign_in.token": "Token API",
    "sign_in.submit": "Conectare",
    "sign_in.missing": "Introduceți un token API.",
    "sign_in.invalid": "Token-ul nu este valid sau a fost revocat.",
    "sign_in.too_many": "Prea multe încercări eșuate de la această adresă; încercați din nou "
    "peste {seconds} s.",
    "sign_in.signed_out": "V-ați deconectat.",
    "sign_in.done": "Conectat ca {name}.",
    "list.filters": "Găsește surse",
    "list.search": "Caută",
    "list.search_help": "Nume, canal sau valoare UTM",
    "list.channel": "Canal",
    "list.all_channels": "Toate canalele",
    "list.status": "Stare",
    "list.all_statuses": "Active și retrase",
    "list.only_active": "Active",
    "list.only_retired": "Retrase",
    "list.per_page": "Pe pagină",
    "list.apply": "Aplică",
    "list.reset": "Șterge filtrele",
    "list.add": "Adaugă sursă",
    "list.caption": "Surse lead-uri: {total} găsite, pagina {page} din {pages}",
    "list.empty": "Nicio sursă nu corespunde.",
    "list.total_leads": "Total Lead-uri: {n}",
    "list.select_row": "Selectează {name}",
    "list.select_all": "Selectează tot de pe pagină",
    "list.selected": "{n} selectate",
    "list.edit": "Editează",
    "list.delete": "Șterge",
    "list.retire": "Retrage",
    "list.pages": "Pagini",
    "list.previous": "Pagina anterioară",
    "list.next": "Pagina următoare",
    "list.page_of": "Pagina {page} din {pages}",
    "col.select": "Selectare",
    "col.name": "Nume",
    "col.channel": "Canal",
    "col.utm": "Regulă UTM",
    "col.status": "Stare",
    "col.leads": "Lead-uri",
    "col.created": "Creată",
    "col.actions": "Acțiuni",
    "status.active": "Activă",
    "status.retired": "Retrasă",
    "bulk.legend": "Cu sursele selectate",
    "bulk.channel": "Canal nou",
    "bulk.set_channel": "Setează canalul",
    "bulk.retire": "Retrage",
    "bulk.activate": "Activează",
    "bulk.delete": "Șterge",
    "bulk.export": "Exportă CSV",
    "bulk.export_help": "Fără nicio selecție, Exportă CSV exportă lista filtrată.",
    "bulk.none_selected": "Selectați mai întâi cel puțin o sursă.",
    "bulk.unknown": "Alegeți una dintre acțiuni.",
    "bulk.no_channel": "Introduceți mai întâi canalul nou.",
    "bulk.done.deactivate": "Surse retrase: {n}.",
    "bulk.done.activate": "Surse activate: {n}.",
    "bulk.done.set_channel": "Canalul „{channel}” a fost setat; surse modificate: {n}.",
    "bulk.done.delete": "Surse șterse: {n}.",
    "bulk.refused": "Nu s-a modificat nimic:",
    "bulk.confirm_title": "Ștergeți sursele selectate ({n})?",
    "bulk.confirm_submit": "Șterge sursele selectate",
    "form.new_title": "Adaugă sursă",
    "form.edit_title": "Editează „{name}”",
    "form.name": "Nume",
    "form.channel": "Canal",
    "form.channel_help": "Grupul de canale din care face parte sursa; gol înseamnă Unassigned.",
    "form.utm_source": "Sursă UTM",
    "form.utm_medium": "Mediu UTM",
    "form.utm_campaign": "Campanie UTM",
    "form.utm_legend": "Regulă UTM",
    "form.utm_help": "Interacțiunile ale căror valori UTM se potrivesc sunt atribuite "
    "acestei surse.",
    "form.active": "Activă (apare în listele de selecție)",
    "form.create": "Adaugă sursă",
    "form.save": "Salvează",
    "form.cancel": "Renunță",
    "form.errors": "Sursa nu a fost salvată:",
    "form.created": "Sursa „{name}” a fost adăugată.",
    "form.saved": "Sursa „{name}” a fost salvată.",
    "delete.title": "Ștergeți „{name}”?",
    "delete.explain": "Ștergerea nu poate fi anulată. O sursă la care se referă încă lead-uri nu "
    "poate fi ștearsă: retrageți-o în schimb.",
    "delete.submit": "Șterge „{name}”",
    "delete.done": "Sursa „{name}” a fost ștearsă.",
    "delete.refused_title": "„{name}” nu poate fi ștearsă",
    "delete.retire_offer": "Retrageți-o în schimb: își păstrează istoricul și nu mai apare în "
    "listele de selecție.",
    "delete.retire": "Retrage „{name}”",
    "delete.already_retired": "Este deja retrasă.",
    "delete.back": "Înapoi la listă",
    "error.forbidden_title": "Acțiune nepermisă",
    "error.forbidden": "Token-ul cu care v-ați conectat ({name}) nu are permisiunea „{capability}” "
    "necesară. Conectați-vă cu alt token.",
    "error.csrf": "Formularul este expirat sau nu provine de pe acest site, așa că nu s-a "
    "modificat nimic. Întoarceți-vă, reîncărcați pagina și încercați din nou.",
    "error.not_found_title": "Sursa nu a fost găsită",
    "error.not_found": "Nu există nicio sursă cu id-ul {id}.",
    "tokens.title": "Token-uri API",
    "tokens.caption": "Toate token-urile API, inclusiv cele revocate; secretul nu apare "
    "niciodată aici",
    "tokens.col.name": "Nume",
    "tokens.col.prefix": "Începe cu",
    "tokens.col.capabilities": "Permisiuni",
    "tokens.col.created": "Creat (UTC)",
    "tokens.col.last_used": "Folosit ultima dată (UTC)",
    "tokens.col.revoked": "Revocat (UTC)",
    "tokens.col.actions": "Acțiuni",
    "tokens.never": "Niciodată",
    "tokens.active": "Activ",
    "tokens.revoke": "Revocă „{name}”",
    "tokens.revoked_done": "Token-ul „{name}” a fost revocat: este refuzat de la următoarea "
    "cerere.",
    "tokens.missing": "Nu există niciun token numit „{name}”; nu s-a revocat nimic.",
    "tokens.create_title": "Creează un token",
    "tokens.name": "Nume",
    "tokens.name_help": "Cine îl folosește, de ex. crm-sync",
    "tokens.capabilities": "Permisiuni",
    "tokens.capabilities_help": "Un token poate acorda doar permisiunile token-ului cu care "
    "v-ați conectat ({held}).",
    "tokens.submit": "Creează token-ul",
    "tokens.errors": "Token-ul nu a fost creat:",
    "tokens.name_required": "Introduceți un nume, de ex. crm-sync.",
    "tokens.name_bad": "Numele este text afișabil de cel mult {limit} caractere, fără „/”.",
    "tokens.none_chosen": "Bifați cel puțin o permisiune.",
    "tokens.beyond": "Nu puteți acorda {caps}: un token poate acorda doar permisiunile "
    "token-ului cu care v-ați conectat ({held}).",
    "tokens.name_taken": "Există deja un token numit „{name}”; alegeți alt nume.",
    "tokens.created_title": "Token-ul „{name}” a fost creat",
    "tokens.secret_once": "Copiați token-ul acum: nu va mai fi afișat (se păstrează doar "
    "SHA-256-ul lui).",
    "tokens.secret_label": "Token",
    "tokens.granted": "Permisiuni: {caps}",
    "tokens.back": "Înapoi la token-uri",
    "num.thousands": ".",
    "registry.required": "Câmpul {label} este obligatoriu.",
    "registry.too_long": "Câmpul {label} are prea multe caractere (cel mult {limit}).",
    "registry.not_text": "Câmpul {label} trebuie să fie text.",
    "registry.not_boolean": "Câmpul {label} trebuie să fie true sau false.",
    "registry.name_taken": "Există deja o sursă numită „{name}”.",
    "registry.utm_claimed": "„{name}” și „{other}” nu pot avea amândouă regula UTM {rule}: o "
    "interacțiune corespunde unei singure surse.",
    "registry.clash": "Modificarea se ciocnește de una făcută în același timp; încercați din nou.",
    "registry.default_source": "Sursa este sursa implicită din configurare și nu poate fi ștearsă.",
    "registry.in_use_leads": "Sursa nu poate fi ștearsă: o folosesc lead-uri ({n}).",
    "registry.in_use_touches": "Sursa nu poate fi ștearsă: o folosesc rânduri de interacțiuni "
    "({n}).",
    "registry.in_use_spend": "Sursa nu poate fi ștearsă: o folosesc rânduri de cheltuieli ({n}).",
    "registry.in_use_both": "Sursa nu poate fi ștearsă: o folosesc rânduri de interacțiuni "
    "({touches}) și de cheltuieli ({spend}).",
    "registry.missing": "Sursa nu există.",
}

CATALOGUES: dict[str, dict[str, str]] = {"en": EN, "ro": RO}

# Parameters of registry messages that are counts (shown with the language's separator), and
# the field label of "The Name field ..." as the admin form names the field.
COUNTS = frozenset({"n", "limit", "touches", "spend"})
LABEL_KEYS = {
    "name": "form.name",
    "channel": "form.channel",
    "utm_source": "form.utm_source",
    "utm_medium": "form.utm_medium",
    "utm_campaign": "form.utm_campaign",
    "active": "status.active",
}
_FIELD_OF_LABEL = {label: field for field, label in LABELS.items()}
_QUOTED = r"'(?:[^'\\\n]|\\.)*'|" + r'"(?:[^"\\\n]|\\.)*"'  # a Python repr of a str


def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression matching the messages an English template makes: {x!r} a quoted
    string, a count digits, {label} a field label, anything else some text."""
    regex = ""
    for literal, name, _, conversion in Formatter().parse(template):
        regex += re.escape(literal)
        if name is None:
            continue
        if conversion == "r":
            part = _QUOTED
        elif name in COUNTS:
            part = r"\d+"
        elif name == "label":
            part = "|".join(re.escape(label) for label in LABELS.values())
        else:
            part = ".+?"
        regex += f"(?P<{name}>{part})"
    return re.compile(regex, re.DOTALL)


REGISTRY = {key: _pattern(text) for key, text in EN.items() if key.startswith("registry.")}


def _unquoted(text: str) -> str:
    """The string a repr() shows (the text itself if it is not one after all)."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return value if isinstance(value, str) else text


class Messages:
    """One language's words: t("key", n=3) fills {n}; an unknown key is a KeyError."""

    def __init__(self, language: str) -> None:
        if language not in CATALOGUES:
            raise KeyError(f"no messages for language {language!r}; known: {', '.join(LANGUAGES)}")
        self.language = language
        self._words = CATALOGUES[language]

    def __call__(self, key: str, **params: Any) -> str:
        """The text of key with params filled in, whole numbers as number() shows them."""
        shown = {
            k: self.number(v) if isinstance(v, int) and not isinstance(v, bool) else v
            for k, v in params.items()
        }
        return self._words[key].format(**shown)

    def number(self, n: int) -> str:
        """A count as this language writes it: 3,378 in English, 3.378 in Romanian."""
        return f"{n:,}".replace(",", self._words["num.thousands"])

    def registry(self, message: str) -> str:
        """A message of the registry (its errors are in English, as the API's contract has
        them) in this language, found among the registry.* texts; any other as it is."""
        for key, pattern in REGISTRY.items():
            found = pattern.fullmatch(message)
            if found is None:
                continue
            params: dict[str, Any] = {}
            for name, value in found.groupdict().items():
                if name == "label":
                    params[name] = self(LABEL_KEYS[_FIELD_OF_LABEL[value]])
                elif name in COUNTS:
                    params[name] = int(value)
                elif value[:1] in "'\"":
                    params[name] = _unquoted(value)
                else:
                    params[name] = value
            return self(key, **params)
        return message
