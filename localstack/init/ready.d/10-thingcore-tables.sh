#!/usr/bin/env bash
# Creates thingcore's DynamoDB tables when LocalStack is ready. The definitions in ../tables
# are written by `thingcore init-tables --write-definitions localstack/init/tables`, the same
# code that `thingcore init-tables` and `thingcore serve --store dynamodb` create tables with
# (a test keeps the committed files equal to what that code writes).
#
# Outside LocalStack (the project's tests run it against moto):
#   AWS_CMD="aws --endpoint-url http://127.0.0.1:5000" THINGCORE_TABLES=dir ./10-thingcore-tables.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tables=${THINGCORE_TABLES:-$here/tables}
aws_cmd=${AWS_CMD:-awslocal}

for definition in "$tables"/*.json; do
  case "$definition" in *.ttl.json) continue ;; esac
  name=$(basename "$definition" .json)
  if $aws_cmd dynamodb describe-table --table-name "$name" >/dev/null 2>&1; then
    echo "thingcore: table $name exists"
    continue
  fi
  $aws_cmd dynamodb create-table --cli-input-json "file://$definition" >/dev/null
  $aws_cmd dynamodb wait table-exists --table-name "$name"
  echo "thingcore: table $name created"
done
for ttl in "$tables"/*.ttl.json; do
  [ -e "$ttl" ] || continue
  $aws_cmd dynamodb update-time-to-live --cli-input-json "file://$ttl" >/dev/null 2>&1 || true
done
