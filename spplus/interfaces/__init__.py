"""The engine's interfaces: how people and programs talk to it.

Three of them, over the same engine and, for cycles, the same roles:

* the command line (:mod:`spplus.interfaces.cli`, installed as ``spplus``), split by user: the DITP's and
  anyone's pure tools on the rules, a certification body's cycles and central cycles (through the HTTP
  API, with a token), an administrator's tokens and an operator's reading of Temporal's history;
* the HTTP API (:mod:`spplus.api`, FastAPI: tokens, roles, problem+json errors);
* the web pages (:mod:`spplus.interfaces.pages`, in French, DSFR), served by the API's app;

and one authorisation layer they all go through (:mod:`spplus.interfaces.auth`).
"""
