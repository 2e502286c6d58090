import sys
from pathlib import Path

# The benchmark's package lives in benchmarks/ (`PYTHONPATH=benchmarks` when it runs).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
