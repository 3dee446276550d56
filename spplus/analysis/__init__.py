"""The DITP's and operators' analyses: what talks to a Temporal server to look at cycles, or runs them aside.

A floor above the workflows and the pure core (beside :mod:`spplus.client`): these modules import the core, the
workflows and the client; only the interfaces (:mod:`spplus.interfaces`, :mod:`spplus.api`), the benchmark and
the tests import them. The cycle's own record of its decisions is the core's
(:mod:`spplus.lifecycle.decisions`); nothing is re-exported here, import each module.

* :mod:`.simulation` — a scenario run as a real cycle on a dev server of its own, under one or two editions,
  and what differs; :mod:`.scenarios`, ``spplus simulate`` and the page ``/ditp/simulation`` (its scenario
  model and refusal), the tests;
* :mod:`.scenarios` — the what-if analyses as the CLI (``spplus simulate``, ``spplus whatif``) and the DITP's
  page ``/ditp/simulation`` run them: bounded inputs, a simulation in a child process
  (``python -m spplus.analysis.scenarios``), the decisions the running cycles recorded;
* :mod:`.whatif` — recorded decisions re-evaluated under a proposed edition (pure computation); ``spplus
  whatif``, the page ``/ditp/simulation``, ``bench/run.py``;
* :mod:`.history` — a local cycle's state and timeline rebuilt from its Temporal event history;
  :mod:`.operations` and the tests (replayed fixtures);
* :mod:`.operations` — workflows whose task keeps failing, a timeline rebuilt from the history, links to the
  Web UI; the operators' pages (``/exploitation``) and ``spplus cycle history``;
* :mod:`.figures` — the national figures, each a visibility count; the DITP's page ``/ditp/chiffres``;
* :mod:`.agenda_views` — the views of a body's running local cycles; the API's ``/agenda.ics``, the agenda
  page and its subscription feed;
* :mod:`.central_record` — what a central cycle's view does not carry, read from its history (the network,
  each sample draw and how to reproduce it); the page ``/services-centraux/{id}``.
"""
