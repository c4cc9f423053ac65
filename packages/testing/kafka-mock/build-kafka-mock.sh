#!/bin/sh
# Builds kafka-mock into OUT_DIR (default: the current directory): librdkafka 2.15.1, its source
# taken from the @confluentinc/kafka-javascript npm tarball, with librdkafka-mock.patch, linked
# statically. Needs gcc, make, patch and npm (registry access). About 1 min on 2 cores.
# If the source cannot be fetched and Debian's librdkafka-dev is installed, links against it
# instead (unpatched 2.0.2: two-member group joins fail now and then; a warning says so).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mkdir -p "${1:-.}" && cd "${1:-.}" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
if ! npm pack --silent @confluentinc/kafka-javascript@1.10.1 >/dev/null 2>&1; then
  if pkg-config --exists rdkafka 2>/dev/null; then
    echo "kafka-mock: librdkafka source unavailable; building UNPATCHED against Debian's librdkafka" >&2
    gcc -O2 -o "$OUT/kafka-mock.tmp" "$HERE/kafka-mock.c" $(pkg-config --cflags --libs rdkafka)
    mv "$OUT/kafka-mock.tmp" "$OUT/kafka-mock"
    echo "built $OUT/kafka-mock (Debian librdkafka, unpatched)"
    exit 0
  fi
  echo "kafka-mock: cannot fetch @confluentinc/kafka-javascript@1.10.1 from the npm registry" >&2
  exit 1
fi
tar xzf confluentinc-kafka-javascript-1.10.1.tgz package/deps/librdkafka
cd package/deps/librdkafka
patch -p1 < "$HERE/librdkafka-mock.patch" >/dev/null
./configure --disable-ssl --disable-gssapi --disable-zstd --disable-curl \
            --disable-lz4-ext --disable-zlib >/dev/null
make -s -j"$(nproc)" -C src librdkafka.a >/dev/null 2>&1
mkdir -p "$W/include/librdkafka" && cp src/rdkafka.h src/rdkafka_mock.h "$W/include/librdkafka/"
# Link to a temporary name, then rename: a reader never sees a half-written binary.
gcc -O2 -I"$W/include" -o "$OUT/kafka-mock.tmp" "$HERE/kafka-mock.c" src/librdkafka.a -lpthread -lm -ldl -lrt
mv "$OUT/kafka-mock.tmp" "$OUT/kafka-mock"
echo "built $OUT/kafka-mock"
