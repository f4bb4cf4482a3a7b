from kodomo_dash.ui import widgets as ui
ui.require_entrypoint()
from kodomo_dash.ui.current import require
principal = require("forms_home_visit")

# ruff: noqa: E402, I001 - the four guard lines must come first, exactly as on every page.
# 家庭訪問・連絡の記録（区職員記入）: the shared declarative-form renderer (kodomo_dash.ui.forms) on form type
# "home_visit_record" (casework/form_defs/home_visit_record.yaml). Layout only.
from kodomo_dash.ui import forms as ui_forms

ui_forms.form_page("forms_home_visit", "home_visit_record", principal)
