# Helpers shared by thingcore's scripts. Sourced, not run.
# Everything a test needs is installed inside the clone (./.venv) and every server started
# here is stopped by the trap that `start_moto` installs, also when a test fails.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
logs="$root/.test-logs"
mkdir -p "$logs"

# A step's heading, with the seconds the script has run so far (CI's log shows where time goes).
say() { printf '\n== %s (at %d s)\n' "$*" "$SECONDS"; }

# Creates ./.venv and installs tests/requirements.txt unless already installed as written.
ensure_python_env() {
  local stamp="$venv/.requirements.sha256"
  local want
  want=$(sha256sum "$root/tests/requirements.txt" | cut -d' ' -f1)
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  say "installing Python test packages into .venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/tests/requirements.txt"
  echo "$want" > "$stamp"
}

# Installs Debian packages that are missing (the tests need real MQTT clients and, for the
# comparison benchmark, Debian's mosquitto broker). Needs root or sudo, as on CI.
ensure_debian_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

free_port() {
  "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until something accepts TCP connections on 127.0.0.1:$1 (at most $2 seconds).
wait_for_port() {
  "$venv/bin/python" - "$1" "${2:-30}" <<'PY'
import socket, sys, time
port, limit = int(sys.argv[1]), float(sys.argv[2])
deadline = time.time() + limit
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

server_pids=()

stop_servers() {
  local pid
  for pid in "${server_pids[@]:-}"; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  server_pids=()
}

# Starts moto server (DynamoDB protocol) on a free loopback port and exports its endpoint.
start_moto() {
  local port
  port=$(free_port)
  # One request at a time (see scripts/moto-serial.py): DynamoDB's per-item atomicity.
  "$venv/bin/python" "$root/scripts/moto-serial.py" 127.0.0.1 "$port" >"$logs/moto.log" 2>&1 &
  server_pids+=("$!")
  if ! wait_for_port "$port" 60; then
    echo "moto server did not start; its log:" >&2
    cat "$logs/moto.log" >&2
    return 1
  fi
  export THINGCORE_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$port"
  export THINGCORE_REQUIRE_DYNAMODB=1
  echo "moto server on $THINGCORE_TEST_DYNAMODB_ENDPOINT (log: .test-logs/moto.log)"
}

# Installs cargo-lambda and zig (its cross linker) from PyPI into ./.venv, as
# infra/requirements.txt pins them, unless already installed as written.
ensure_lambda_tools() {
  local stamp="$venv/.lambda-requirements.sha256"
  local want
  want=$(sha256sum "$root/infra/requirements.txt" | cut -d' ' -f1)
  if [ -x "$venv/bin/cargo-lambda" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  say "installing cargo-lambda and zig into .venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/infra/requirements.txt"
  echo "$want" > "$stamp"
}

# The crates in functions/ that are Lambda functions (have a src/main.rs), one name a line.
lambda_packages() {
  local dir
  for dir in "$root"/functions/*/; do
    [ -f "$dir/src/main.rs" ] && [ -f "$dir/Cargo.toml" ] || continue
    sed -n 's/^name *= *"\(.*\)"/\1/p' "$dir/Cargo.toml" | head -n 1
  done
}

# Node.js and npm for the CDK app in infra/ (the machine image has Node 20; Debian's packages
# otherwise).
ensure_node() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && return 0
  ensure_debian_packages nodejs npm
}
