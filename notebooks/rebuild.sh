#!/usr/bin/env bash
# Rebuild notebooks from their py:percent twins and store them executed, deterministically.
# Usage: bash notebooks/rebuild.sh [NAME ...]   (default: every notebooks/*.py twin)
set -euo pipefail
cd "$(dirname "$0")"
export IPYKERNEL_CELL_NAME='<IPY-INPUT>' PYTHONHASHSEED=0
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in [0-9][0-9]_*.py; do names+=("${f%.py}"); done
fi
for name in "${names[@]}"; do
  name="${name%.py}"; name="${name%.ipynb}"
  if [ -f "$name.ipynb" ]; then
    # --update keeps the cell ids (and metadata) of the stored notebook: diffs stay readable
    jupytext --quiet --update --to ipynb "$name.py" -o "$name.ipynb"
  else
    jupytext --quiet --to ipynb "$name.py" -o "$name.ipynb"
  fi
  # IPC transport: local sockets, no "running over TCP without encryption" kernel warning
  jupyter nbconvert --log-level=ERROR --to notebook --execute --inplace \
    --KernelManager.transport=ipc \
    --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.record_timing=False "$name.ipynb"
  echo "rebuilt $name.ipynb"
done
