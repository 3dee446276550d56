"""The engine's size limits: what one request, one event and one cycle may hold.

These are engine operating parameters, not label rules (the guide says nothing of them): they keep
every cycle's workflow input under Temporal's 2 MB payload limit and its history far from the
50 MB / 51,200-event limits, whatever a caller sends. The README's "Limits" table lists them, with
the budget they add up to.

Pure: importable inside the Temporal workflow sandbox.
"""

from __future__ import annotations

# One HTTP request body, or one event file read by the CLI (bytes). A survey's raw CSV export is
# the only large input; it is scored at the edge and never enters a workflow (see SURVEY_CSV_BYTES).
MAX_REQUEST_BYTES = 2_000_000

# A survey's raw CSV export (bytes): about 20,000 respondents of 15 answers.
SURVEY_CSV_BYTES = 1_900_000

# Free text (characters): a name, a reason, a note, the candidate's observations, an appeal's grounds.
SHORT_TEXT = 200  # names, ids, auditors, sites, reasons' ids, body names
LONG_TEXT = 4_000  # observations, grounds, notes, reasons written by a person (about a page)

# Lists in one event or candidacy (items).
MAX_ITEMS = 200  # sites, auditors, dossier items, domains
MAX_NETWORK = 2_000  # local services of one central service (a national network's agencies)

# One event as it enters a cycle (its JSON, bytes): whatever its fields hold, never more.
MAX_EVENT_BYTES = 32_000

# Events one cycle records (the renewal's next cycle counts afresh). A three-year cycle records
# about 30; a body that sends more is refused with this limit, and the cycle's state stays bounded.
MAX_EVENTS_PER_CYCLE = 500

# A cycle's state without its pinned rules and calendar (JSON bytes). The rules add about 26 KB and
# the calendar 2 KB per edition; what the state carries through continue-as-new stays under 1.1 MB,
# half of Temporal's 2 MB payload limit.
MAX_STATE_BYTES = 1_000_000

# A candidacy as started (JSON bytes): its sites and, for a central service, its network.
MAX_CANDIDACY_BYTES = 400_000

# A rules edition, as the DITP uploads it (POST /rules/editions) or `spplus rules check` reads it.
# The project's rule files are 1-9 KB, 12-535 values and 3-8 levels deep: every limit is far above
# what a real edition needs, and far below what would stall the process that parses it.
RULE_FILE_MAX_BYTES = 256_000  # one rule file (UTF-8 bytes); refused whole, before it is parsed (413)
RULE_EDITION_MAX_BYTES = 1_000_000  # every file of one uploaded edition together (UTF-8 bytes; 413)
RULE_YAML_MAX_DEPTH = 20  # levels of nesting in one YAML document (the document is level 1); checked while parsing
RULE_YAML_MAX_NODES = 5_000  # YAML nodes in one rule file (each key, value, list and item); parsing stops at the next (413)
RULE_EDITION_ID_MAX = 64  # characters of an edition id: it names a folder and is pinned in every cycle
MAX_ERRORS_SHOWN = 50  # problems listed in one refusal of an edition; the rest are counted ("and N more")
ERROR_MESSAGE_MAX_CHARS = 400  # characters of one problem's message in a refusal; a longer one is cut ("…")

# Rows of one back-catalogue file (POST /cycles:import-catalogue, `spplus cycle import-catalogue`): each row
# starts a cycle, so one request starts at most this many workflows (a body's whole catalogue is a few
# hundred labels; a larger one is split in files). 2,000 rows of a few sites each stay far under MAX_REQUEST_BYTES.
MAX_CATALOGUE_ROWS = 2_000
