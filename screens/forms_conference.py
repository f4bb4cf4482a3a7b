from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("forms_conference")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# 三課協議シート（区職員記入）: the shared declarative-form renderer (kodomo_dash.ui.forms) on form type
# "conference_sheet" (casework/form_defs/conference_sheet.yaml). Layout only.
from kodomo_dash.ui import forms as ui_forms

ui_forms.form_page("forms_conference", "conference_sheet", principal)
