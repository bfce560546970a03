# Sourced by scripts/test and scripts/demo: create or reuse .venv and install what it needs.
# Reinstalls only when pyproject.toml changed since the last install (stamp file).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv with $($py --version)"
    "$py" -m venv .venv
fi
stamp=.venv/.relay-sansio-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)-${RELAY_EXTRAS:-dev}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing relay-sansio[${RELAY_EXTRAS:-dev}] into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[${RELAY_EXTRAS:-dev}]"
    if [ "${RELAY_EXTRAS:-dev}" = "dev" ]; then
        # The official SDK is a test peer (interop and API-parity tests); its own dependencies
        # are pulled in by hand because the package declares many we do not need.
        .venv/bin/python -m pip install -q --no-deps signalwire-sdk websockets structlog
        # The coverage-guided fuzzer; a machine without a wheel for it can opt out with
        # RELAY_SKIP_ATHERIS=1 (scripts/test then says so and runs the hypothesis fuzzers only).
        if [ "${RELAY_SKIP_ATHERIS:-0}" != "1" ]; then
            .venv/bin/python -m pip install -q atheris
        fi
    fi
    echo "$want" > "$stamp"
fi
