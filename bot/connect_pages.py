"""The web pages of connecting an account: LinkedIn's sign-in round trip and the Bluesky form."""

from __future__ import annotations

from html import escape

from aiohttp import web

from domain.networks import NETWORK_RULES, Network
from handlers import accounts
from handlers.accounts import Connected, Outcome
from handlers.context import Services
from messages import normalise_locale, translate
from publishing.linkedin import CALLBACK_PATH

# Connect links carry a secret in their path: never sent on as a referrer, never cached.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}
_STATUS = {
    Outcome.CONNECTED: 200,
    Outcome.STALE: 404,
    Outcome.CANCELLED: 200,
    Outcome.REFUSED: 400,
    Outcome.BUSY: 503,
}


def _page(locale: str, title: str, body: str, *, status: int = 200) -> web.Response:
    html = (
        f'<!doctype html><html lang="{escape(locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto;">'
        f"<h1>{escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(status=status, text=html, content_type="text/html", headers=_HEADERS)


def _said(result: Connected) -> web.Response:
    label = NETWORK_RULES[result.network].label
    text = translate(f"accounts.page.{result.outcome.value}", result.locale, network=label)
    title = translate("accounts.page.title", result.locale)
    return _page(result.locale, title, f"<p>{escape(text)}</p>", status=_STATUS[result.outcome])


def _stale(services: Services, network: Network) -> web.Response:
    return _said(Connected(Outcome.STALE, network, normalise_locale(services.default_locale)))


def attach(app: web.Application, services_key: web.AppKey[Services]) -> None:
    """Add the connect routes to the server."""

    async def linkedin_start(request: web.Request) -> web.StreamResponse:
        services = request.app[services_key]
        target = await accounts.linkedin_start(services, request.match_info["state"])
        if target is None:
            return _stale(services, Network.LINKEDIN)
        raise web.HTTPFound(target, headers=_HEADERS)

    async def linkedin_callback(request: web.Request) -> web.StreamResponse:
        services = request.app[services_key]
        query = request.query
        result = await accounts.linkedin_finish(
            services,
            state=query.get("state", ""),
            code=query.get("code"),
            error=query.get("error"),
        )
        return _said(result)

    async def bluesky_form(request: web.Request) -> web.StreamResponse:
        services = request.app[services_key]
        locale = await accounts.bluesky_form_locale(services, request.match_info["state"])
        if locale is None:
            return _stale(services, Network.BLUESKY)
        return _form(locale)

    async def bluesky_submit(request: web.Request) -> web.StreamResponse:
        services = request.app[services_key]
        posted = await request.post()
        result = await accounts.bluesky_connect(
            services,
            state=request.match_info["state"],
            handle=str(posted.get("handle", "")),
            app_password=str(posted.get("app_password", "")),
        )
        if result.outcome is Outcome.REFUSED:
            label = NETWORK_RULES[Network.BLUESKY].label
            said = translate("accounts.page.refused", result.locale, network=label)
            # The handle stays filled in: mostly it is the app password that was mistyped.
            handle = str(posted.get("handle", ""))[:253]
            return _form(result.locale, said=said, handle=handle, status=400)
        return _said(result)

    app.router.add_get("/connect/linkedin/{state}", linkedin_start)
    app.router.add_get(CALLBACK_PATH, linkedin_callback)
    app.router.add_get("/connect/bluesky/{state}", bluesky_form)
    app.router.add_post("/connect/bluesky/{state}", bluesky_submit)


def _form(locale: str, *, said: str = "", handle: str = "", status: int = 200) -> web.Response:
    """Handle and app password, posted back to the same address (the link's secret)."""
    note = translate("accounts.bluesky_note", locale)
    body = (
        (f'<p role="alert"><strong>{escape(said)}</strong></p>' if said else "")
        + f"<p>{escape(note)}</p>"
        + '<form method="post">'
        + f"<p><label>{escape(translate('accounts.form.handle', locale))}<br>"
        + f'<input name="handle" value="{escape(handle)}" autocomplete="username" required'
        + ' maxlength="253"></label></p>'
        + f"<p><label>{escape(translate('accounts.form.password', locale))}<br>"
        + '<input name="app_password" type="password" autocomplete="off" required'
        + ' maxlength="100"></label></p>'
        + f'<p><button type="submit">{escape(translate("accounts.form.submit", locale))}'
        + "</button></p></form>"
    )
    return _page(locale, translate("accounts.form.title", locale), body, status=status)
