#!/bin/sh
# RabbitMQ's published Grafana dashboards (grafana.com/orgs/rabbitmq), downloaded into the directory
# Grafana loads them from. Exported "for sharing", they name their data source ${DS_PROMETHEUS}: the
# provisioned one has the uid "prometheus". Offline, Grafana still starts, with this project's dashboard.
# Usage: fetch-dashboards.sh DIR
set -u
dir=$1
mkdir -p "$dir"
for dashboard in 10991:rabbitmq-overview 11340:rabbitmq-quorum-queues-raft 14798:rabbitmq-stream; do
  id=${dashboard%%:*}
  name=${dashboard#*:}
  if [ -s "$dir/$name.json" ]; then continue; fi # fetched on an earlier start
  if curl -fsSL --max-time 60 "https://grafana.com/api/dashboards/$id/revisions/latest/download" -o "$dir/$name.tmp"; then
    sed 's/\${DS_PROMETHEUS}/prometheus/g' "$dir/$name.tmp" > "$dir/$name.json"
    echo "fetched dashboard $id ($name)"
  else
    echo "could not fetch dashboard $id ($name) from grafana.com: Grafana starts without it"
  fi
  rm -f "$dir/$name.tmp"
done
exit 0
