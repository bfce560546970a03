# Sourced by scripts/demo and scripts/test: create or reuse .venv and install what the caller
# needs. `source scripts/_venv.sh runtime` installs what the library needs to run (the package,
# editable, with its anyio extra); `source scripts/_venv.sh dev` (the default) adds the whole
# toolchain (tests, mypy, ruff, mkdocs, the official SDK as a test peer, atheris).
#
# The stamp file records the hash of pyproject.toml and the sets installed against it, so each
# set is installed once per pyproject.toml: demo then test installs the toolchain on top, test
# then demo installs nothing (dev includes runtime), and editing pyproject.toml starts afresh.
# pip's output goes to .venv/pip.log; it is shown only when an install fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
py="${PYTHON:-python3}"
want_set="${1:-dev}"
case "$want_set" in
    runtime | dev) ;;
    *) echo "scripts/_venv.sh: unknown set '$want_set' (runtime or dev)" >&2; return 2 ;;
esac
if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv with $($py --version)"
    "$py" -m venv .venv
fi
stamp=.venv/.relay-sansio-installed
pip_log=.venv/pip.log
hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
installed=""
if [ -f "$stamp" ] && [ "$(head -n1 "$stamp")" = "$hash" ]; then
    installed="$(tail -n +2 "$stamp")"
fi

_relay_pip() {
    # Quiet on success; on failure, the log's tail and the exit status.
    if ! .venv/bin/python -m pip install --disable-pip-version-check "$@" >>"$pip_log" 2>&1; then
        echo "pip install $* failed; the end of $pip_log:" >&2
        tail -n 40 "$pip_log" >&2
        return 1
    fi
}

_relay_has() { printf '%s\n' "$installed" | grep -qx "$1"; }

if ! _relay_has dev && ! _relay_has "$want_set"; then
    : >"$pip_log"
    if [ "$want_set" = runtime ]; then
        echo "==> installing relay-sansio[anyio] into .venv (runtime dependencies only)"
        _relay_pip -e ".[anyio]"
    else
        echo "==> installing relay-sansio[dev] into .venv (tests, linters, docs, fuzzers)"
        _relay_pip -e ".[dev]"
        # The official SDK is a test peer (interop and API-parity tests); its own dependencies
        # are pulled in by hand because the package declares many we do not need.
        _relay_pip --no-deps signalwire-sdk websockets structlog
        # The coverage-guided fuzzer; a machine without a wheel for it can opt out with
        # RELAY_SKIP_ATHERIS=1 (scripts/test then says so and runs the hypothesis fuzzers only).
        if [ "${RELAY_SKIP_ATHERIS:-0}" != "1" ]; then
            _relay_pip atheris
        fi
    fi
    installed="$(printf '%s\n%s' "$installed" "$want_set" | sed '/^$/d')"
    printf '%s\n%s\n' "$hash" "$installed" >"$stamp"
fi
unset -f _relay_pip _relay_has
