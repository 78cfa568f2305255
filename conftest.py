"""Root pytest configuration: deterministic kernels for the nbval notebook checks."""

import os

# Kernels started by nbval inherit these: stable hashing and stable traceback cell names.
os.environ["PYTHONHASHSEED"] = "0"
os.environ["IPYKERNEL_CELL_NAME"] = "<IPY-INPUT>"
