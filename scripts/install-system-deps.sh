#!/usr/bin/env bash
# Debian packages the tests use: mosquitto (the second broker the suite runs against) and its clients,
# python3-pymodbus and python3-paho-mqtt (independent protocol peers),
# and chromium (the web UI tests drive it through playwright-core; no browser is ever downloaded).
set -euo pipefail
need=()
[ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_pub >/dev/null || need+=(mosquitto-clients)
[ -x /usr/bin/chromium ] || need+=(chromium)
# python3-pymodbus: the independent Modbus peer the driver tests read SunSpec and register maps from.
/usr/bin/python3 -c "import pymodbus" 2>/dev/null || need+=(python3-pymodbus)
# python3-paho-mqtt: the independent MQTT client (3.1, 3.1.1, 5) the broker-access tests connect with.
/usr/bin/python3 -c "import paho.mqtt" 2>/dev/null || need+=(python3-paho-mqtt)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
# Tests start their own mosquitto on free ports; the packaged service is not needed.
($SUDO systemctl disable --now mosquitto >/dev/null 2>&1 || true)
