# Layers only look down (STYLE.md); also fails if the script itself breaks.
cd "$(dirname "$0")/../.." && scripts/check-layers.sh
