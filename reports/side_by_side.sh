#!/usr/bin/env bash
# Side by side, in one run against one redis-server:
#   1. redis-benchmark XADD vs `streamharness produce`: same payload, pipeline depth, connections
#   2. the seed scenario at max rate (producers.rate=0): sustained orders/s, and Redis's CPU busy
#      fraction in the steady phase (near 1.0: Redis is the bottleneck, not the harness)
#   3. the same scenario at 20 % of that rate: end-to-end p50/p99 per group
# Prints the numbers and writes them to reports/out/side-by-side-<time>/summary.json.
#
# Usage: bash reports/side_by_side.sh [ORDERS] [CONNECTIONS] [PIPELINE] [PAYLOAD_BYTES] [SECONDS]
# Needs a build (bash .ci/setup) and redis-server + redis-benchmark (redis-tools) on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

orders=${1:-1000000}
connections=${2:-2}
pipeline=${3:-16}
payload=${4:-64}
seconds=${5:-20}
bin=./build/streamharness
[ -x "$bin" ] || { echo "no $bin: run 'bash .ci/setup' first" >&2; exit 3; }
out=reports/out/side-by-side-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"

dir=$(mktemp -d /tmp/streamharness-sbs-XXXXXX)
port=""
for candidate in $(seq 21000 21999); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
  --daemonize no --logfile "$dir/redis.log" &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
url="redis://127.0.0.1:$port"
show() { "$bin" show "$@"; }

echo "== XADD: $orders orders, $connections connections, pipeline $pipeline, ${payload}-byte payload"
pad=$(printf '%*s' "$payload" '' | tr ' ' x)
# The same fields as `streamharness produce` writes: run (its stamp), orderno, user, amount,
# ts (ns), pad.
bench_per_s=$(redis-benchmark -p "$port" -c "$connections" -P "$pipeline" -n "$orders" \
  -r 1000000 --csv XADD sbs:bench '*' run produce orderno __rand_int__ user 123 amount 42 \
  ts 1764063000000000000 pad "$pad" | tail -1 | cut -d, -f2 | tr -d '"')
redis-cli -p "$port" unlink sbs:bench >/dev/null
"$bin" produce --redis "$url" --key sbs:harness --orders "$orders" --connections "$connections" \
  --pipeline "$pipeline" --payload "$payload" > "$out/produce.json"
redis-cli -p "$port" unlink sbs:harness >/dev/null
harness_per_s=$(show "$out/produce.json" orders_per_s)
ratio=$(awk -v a="$harness_per_s" -v b="$bench_per_s" 'BEGIN { printf "%.3f", a / b }')
printf "redis-benchmark XADD   %10.0f /s\nstreamharness produce  %10.0f /s\nratio                  %10s\n" \
  "$bench_per_s" "$harness_per_s" "$ratio"

echo "== end to end at max rate (workloads/orders.json, producers.rate=0, ${seconds} s)"
"$bin" run workloads/orders.json --redis "$url" --set producers.rate=0 --set duration_s="$seconds" \
  --out "$out/max-rate" --quiet | grep -E "group|verdict" || true
sustained=$(show "$out/max-rate/report.json" summary.max_rate.sustained_orders_per_s)
redis_busy=$(show "$out/max-rate/report.json" summary.bottleneck.redis_cpu_busy)
harness_cores=$(show "$out/max-rate/report.json" summary.bottleneck.harness_cpu_cores)
saturated=$(show "$out/max-rate/report.json" summary.bottleneck.saturated)
printf "sustained %.0f orders/s; Redis CPU busy %.2f; harness CPU %.2f cores; saturated: %s\n" \
  "$sustained" "$redis_busy" "$harness_cores" "$saturated"

low_rate=$(awk -v s="$sustained" 'BEGIN { printf "%d", s / 5 }')
echo "== end to end at 20 % of that: $low_rate orders/s"
"$bin" run workloads/orders.json --redis "$url" --set producers.rate="$low_rate" \
  --set duration_s="$seconds" --out "$out/low-rate" --quiet | grep -E "group|verdict" || true
latency() { show "$out/low-rate/report.json" "summary.groups.$1.latency.end_to_end.$2"; }

cat > "$out/summary.json" <<JSON
{
  "orders": $orders, "connections": $connections, "pipeline": $pipeline, "payload_bytes": $payload,
  "redis_benchmark_xadd_per_s": $bench_per_s,
  "streamharness_xadd_per_s": $harness_per_s,
  "xadd_ratio": $ratio,
  "max_rate": {"sustained_orders_per_s": $sustained, "redis_cpu_busy": $redis_busy,
               "harness_cpu_cores": $harness_cores, "saturated": "$saturated"},
  "low_rate": {"orders_per_s": $low_rate,
               "score": {"p50_ms": $(latency score p50_ms), "p99_ms": $(latency score p99_ms)},
               "push": {"p50_ms": $(latency push p50_ms), "p99_ms": $(latency push p99_ms)}}
}
JSON
echo "summary: $out/summary.json (reports of both runs beside it)"
