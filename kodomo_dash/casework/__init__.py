"""Casework: everything people type, in casework.duckdb, changed only through numbered migrations.

Push-support workflow: ``workflow`` (stage events, their rules, recording, list acceptance),
``forms`` (YAML form definitions and validation), ``form_store`` (drafts, submit, optimistic
concurrency), ``progress`` (sheets per school/ward, per-person worklist), ``funnel`` (reads over the
funnel views and ``funnel_report``), ``simulate`` (a year of casework drawn from latent need),
``durability`` and ``benchmark`` (SIGKILL test, form-save latency). See
docs/decisions/040-workflow-events-forms-funnel.md.
"""
