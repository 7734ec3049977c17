"""The judges `newsletter check` runs on every built issue, as mail providers and auditors would.

- `spam`: SpamAssassin's score and rule hits for the message `send` would make of each issue
  (local tests only, no network).
- `accessibility`: document rules read from the HTML (lang, tables, alt, headings, link texts),
  and, in headless Chromium, axe-core plus text contrast in light and dark mode.
- `provider`: Gmail/Yahoo bulk-sender requirements and the limits that clip or break rendering.
- `report`: the per-issue table (`check --report`) and the JSON file for CI (`check --json`).
"""
