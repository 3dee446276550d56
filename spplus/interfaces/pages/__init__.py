"""The engine's web pages (issue 13): server-rendered, in French, over the same engine and the same roles.

* :mod:`.routes` — the pages (sign-in, a body's dashboard, candidacies, a candidacy, event forms, the
  public list), each going through :class:`spplus.interfaces.auth.Gate` like the API;
* :mod:`.session` — the signed session cookie and the forms' CSRF tokens;
* :mod:`.forms` — event forms generated from the event models;
* ``templates/`` — Jinja2 templates in the DSFR's markup; ``static/`` — the neutral theme's stylesheet.

The DSFR (``@gouvfr/dsfr``) is installed by ``npm ci`` (``make install``) and served from
``node_modules/@gouvfr/dsfr/dist`` at ``/static/dsfr``; ``SPPLUS_THEME=neutral`` serves neither it nor Marianne.
"""

from .routes import mount_pages

__all__ = ["mount_pages"]
