#!/usr/bin/env bash
# Makes sure the servers the test suite needs are installed and running on their default
# loopback ports: PostgreSQL 5432, NATS JetStream 4222, Redis 6379, RabbitMQ 5672 (guest/guest).
# Installs, without starting them, prometheus, etcd, haproxy and nginx (tests start their own).
# Installs missing ones from Debian's packages (root) and starts stopped ones. Builds the Kafka
# test broker (kafka-mock). Idempotent; exits non-zero if a server
# still cannot be reached, naming it.
set -u

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && exec 3>&- 3<&-; }

wait_port() { # name port
  for _ in $(seq 1 60); do port_open "$2" && return 0; sleep 0.5; done
  echo "test-servers: $1 is not reachable on 127.0.0.1:$2" >&2
  return 1
}

apt_updated=0
ensure_pkg() { # binary package...
  command -v "$1" >/dev/null 2>&1 && return 0
  shift
  if [ "$apt_updated" = 0 ]; then apt-get update -qq >/dev/null 2>&1; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

status=0

# PostgreSQL (trust auth on loopback for the test role `postgres`)
if ! port_open 5432; then
  ls /etc/postgresql >/dev/null 2>&1 || ensure_pkg pg_ctlcluster postgresql
  ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  if [ -n "$ver" ]; then
    hba="/etc/postgresql/$ver/main/pg_hba.conf"
    grep -q '^host all all 127.0.0.1/32 trust' "$hba" 2>/dev/null ||
      sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 || true
  fi
fi
wait_port PostgreSQL 5432 || status=1

# NATS with JetStream
if ! port_open 4222; then
  ensure_pkg nats-server nats-server
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi
wait_port NATS 4222 || status=1

# Redis
if ! port_open 6379; then
  ensure_pkg redis-server redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null
fi
wait_port Redis 6379 || status=1

# RabbitMQ (guest/guest on loopback). Its tests also start private nodes from
# /usr/lib/rabbitmq/bin/rabbitmq-server on free ports (they restart them); the shared one on
# 5672 is never restarted.
if ! port_open 5672; then
  ensure_pkg rabbitmq-server rabbitmq-server
  /usr/sbin/rabbitmq-server -detached >/dev/null 2>&1 || true
  # A first boot takes a while (Erlang, Mnesia): give it up to two minutes.
  for _ in $(seq 1 240); do port_open 5672 && break; sleep 0.5; done
fi
wait_port RabbitMQ 5672 || status=1
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] ||
  { echo "test-servers: /usr/lib/rabbitmq/bin/rabbitmq-server is missing" >&2; status=1; }
command -v redis-server >/dev/null 2>&1 ||
  { echo "test-servers: redis-server is missing (the Redis transport's tests start their own)" >&2; status=1; }

# Prometheus: installed, not started (the ops-pack tests run promtool, and start their own
# prometheus on a free port). No recommends: they would pull in node-exporter.
ensure_pkg promtool --no-install-recommends prometheus
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 ||
  { echo "test-servers: prometheus/promtool could not be installed" >&2; status=1; }

# Chromium (Debian's package, no browser download): the dashboard's browser test drives it with
# playwright-core at /usr/bin/chromium.
ensure_pkg chromium chromium
[ -x /usr/bin/chromium ] ||
  { echo "test-servers: /usr/bin/chromium could not be installed (the dashboard's browser test needs it)" >&2; status=1; }

# etcd: installed, not started (the discovery tests start their own on free ports, with a temp
# data dir, and SIGKILL and restart it).
ensure_pkg etcd etcd-server etcd-client
command -v etcd >/dev/null 2>&1 || { echo "test-servers: etcd could not be installed" >&2; status=1; }

# HAProxy: installed, not started (the deploy tests check the rendered config with `haproxy -c`
# and start their own on free ports for the mTLS tests). openssl makes their certificates.
ensure_pkg haproxy haproxy
ensure_pkg openssl openssl
command -v haproxy >/dev/null 2>&1 || { echo "test-servers: haproxy could not be installed" >&2; status=1; }
# docker-compose (Debian's 1.29, no daemon): the deploy tests validate the rendered compose file
# with `docker-compose config -q`.
ensure_pkg docker-compose docker-compose
command -v docker-compose >/dev/null 2>&1 || { echo "test-servers: docker-compose could not be installed" >&2; status=1; }
# nginx: installed, not started (bench:edge and bench:gateway start their own; test/bench-edge.test.ts runs bench:edge).
ensure_pkg nginx nginx-light
command -v nginx >/dev/null 2>&1 || { echo "test-servers: nginx could not be installed" >&2; status=1; }

# kafka-mock: librdkafka's mock cluster as its own process (packages/testing/kafka-mock). Built
# from the vendored sources (librdkafka 2.15.1 from the npm registry + a patch) into the
# gitignored .outrig/cache/kafka-mock/<hash of the sources>/, which npm ci does not wipe; tests
# start one per file on random ports. Debian's librdkafka-dev is the build script's fallback
# when the npm registry is unreachable (unpatched: multi-member groups are flaky there).
ensure_pkg gcc gcc
ensure_pkg make make
ensure_pkg patch patch
ensure_pkg pkg-config pkg-config
pkg-config --exists rdkafka 2>/dev/null || {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq >/dev/null 2>&1; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librdkafka-dev >/dev/null 2>&1
}
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/packages/testing/kafka-mock"
hash=$(cat "$src/kafka-mock.c" "$src/librdkafka-mock.patch" "$src/build-kafka-mock.sh" | sha256sum | cut -c1-12)
out="$root/.outrig/cache/kafka-mock/$hash"
if [ ! -x "$out/kafka-mock" ]; then
  sh "$src/build-kafka-mock.sh" "$out" >/dev/null ||
    { echo "test-servers: kafka-mock could not be built (gcc, make, patch, npm)" >&2; status=1; }
fi

exit $status
