#!/usr/bin/env bash
# The README's first command: install, generate the Fukuoka-scale synthetic city,
# build the warehouse and open the dashboard on http://localhost:8501.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
SCALE=${KODOMO_SCALE:-1.0}
SCENARIO=${KODOMO_SCENARIO:-fukuoka-fy2025}  # or izumi-fy2025, beppu-fy2025
.venv/bin/kodomo demo --scenario "$SCENARIO" --scale "$SCALE" --seed 1
exec .venv/bin/streamlit run app.py --server.port "${PORT:-8501}" --server.headless true
