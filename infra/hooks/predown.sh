#!/bin/sh
# azd predown hook: remove the app's event subscriptions from the system topic.
#
# `azd down` deletes the app's resource group, and with it a system topic created there; a
# reused topic elsewhere stays, and would keep retrying deliveries to deleted functions.
# Does nothing unless the postdeploy hook recorded a topic.
set -eu

names="gallery-migrator-image-written gallery-migrator-version-written"
if [ -z "${EVENTGRID_SYSTEM_TOPIC_NAME:-}" ]; then
  exit 0
fi
if ! command -v az >/dev/null 2>&1; then
  echo "Event Grid: az not found; delete event subscriptions $names" \
    "from system topic $EVENTGRID_SYSTEM_TOPIC_NAME yourself." >&2
  exit 1
fi

topic_sub=${EVENTGRID_TOPIC_SUBSCRIPTION_ID:-$AZURE_SUBSCRIPTION_ID}
topic_rg=${EVENTGRID_SYSTEM_TOPIC_RESOURCE_GROUP:?not set}
topic_id="/subscriptions/$topic_sub/resourceGroups/$topic_rg/providers/Microsoft.EventGrid/systemTopics/$EVENTGRID_SYSTEM_TOPIC_NAME"

for name in $names; do
  event_subscription_id="$topic_id/eventSubscriptions/$name"
  if az resource show --ids "$event_subscription_id" --output none --only-show-errors >/dev/null 2>&1; then
    az resource delete --ids "$event_subscription_id" --only-show-errors
    echo "Event Grid: removed $event_subscription_id."
  fi
done
