from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("forms_ssw_sheet")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# ヒアリングシート（SSW記入）: the shared declarative-form renderer (kodomo_dash.ui.forms) on form type
# "ssw_hearing_sheet" (casework/form_defs/ssw_hearing_sheet.yaml). Layout only.
from kodomo_dash.ui import forms as ui_forms

ui_forms.form_page("forms_ssw_sheet", "ssw_hearing_sheet", principal)
