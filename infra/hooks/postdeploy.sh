#!/bin/sh
# azd postdeploy hook: subscribe the app to the subscription's resource events: managed image
# writes to on_image_written (only when EVENTGRID_GALLERY_ID is set), version writes to
# on_version_written (hints that wake replication watchers; VERSION_EVENTS=false turns them off).
#
# Runs after the code is deployed, because Event Grid checks that an AzureFunction destination
# exists when the subscription is created. Idempotent: every deploy re-applies
# infra/app/event-grid.bicep.
#
# Inputs (azd environment): EVENTGRID_GALLERY_ID, VERSION_EVENTS, AZURE_GALLERY_ID,
# AZURE_FUNCTION_APP_ID, AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AZURE_ENV_NAME; optional
# EVENTGRID_TOPIC_SUBSCRIPTION_ID (subscription whose events to watch), EVENTGRID_SYSTEM_TOPIC_NAME
# and EVENTGRID_SYSTEM_TOPIC_RESOURCE_GROUP (a system topic to use; found automatically when the
# subscription already has one).
set -eu

image_events=false
if [ -n "${EVENTGRID_GALLERY_ID:-}" ]; then
  image_events=true
fi
case "$(printf '%s' "${VERSION_EVENTS:-true}" | tr '[:upper:]' '[:lower:]')" in
  false | no | 0 | off) version_events=false ;;
  *) version_events=true ;;
esac
if [ "$image_events" = false ] && [ "$version_events" = false ]; then
  echo "Event Grid: EVENTGRID_GALLERY_ID is not set and VERSION_EVENTS is off; skipping."
  exit 0
fi
if ! command -v az >/dev/null 2>&1; then
  echo "Event Grid: this step needs the Azure CLI (az), signed in to the same tenant." >&2
  echo "Install it, run 'az login', then 'azd hooks run postdeploy'." >&2
  exit 1
fi

: "${AZURE_FUNCTION_APP_ID:?not set: run azd provision first}"
: "${AZURE_SUBSCRIPTION_ID:?not set}"
: "${AZURE_ENV_NAME:?not set}"

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
template="$here/../app/event-grid.bicep"
topic_sub=${EVENTGRID_TOPIC_SUBSCRIPTION_ID:-$AZURE_SUBSCRIPTION_ID}
source_id=$(printf '/subscriptions/%s' "$topic_sub" | tr '[:upper:]' '[:lower:]')
topic_name=${EVENTGRID_SYSTEM_TOPIC_NAME:-}
topic_rg=${EVENTGRID_SYSTEM_TOPIC_RESOURCE_GROUP:-}

# Azure allows one system topic per source: reuse the subscription's topic when there is one.
if [ -z "$topic_name" ]; then
  tab=$(printf '\t')
  # A subscription that never used Event Grid (provider not registered) lists nothing.
  found=$(az eventgrid system-topic list --subscription "$topic_sub" \
    --query "[].[name, resourceGroup, source]" --output tsv --only-show-errors) || found=''
  while IFS="$tab" read -r name group source; do
    [ -n "$name" ] || continue
    if [ "$(printf '%s' "$source" | tr '[:upper:]' '[:lower:]')" = "$source_id" ]; then
      topic_name=$name
      topic_rg=$group
      echo "Event Grid: reusing system topic $topic_name in $topic_rg."
      break
    fi
  done <<LIST
$found
LIST
fi

if [ -z "$topic_name" ]; then
  topic_name="evgt-${AZURE_ENV_NAME}-subscription"
fi

# Version events only for the galleries the app writes versions in (lower case, as main.bicep
# scopes its gallery role; Event Grid compares case-insensitively anyway).
gallery_ids=""
for gallery in "${AZURE_GALLERY_ID:-}" "${EVENTGRID_GALLERY_ID:-}"; do
  [ -n "$gallery" ] || continue
  gallery=$(printf '%s' "$gallery" | tr '[:upper:]' '[:lower:]')
  gallery_ids="${gallery_ids:+$gallery_ids,}\"$gallery\""
done
gallery_ids="[$gallery_ids]"
if [ -z "$topic_rg" ]; then
  if [ "$topic_sub" != "$AZURE_SUBSCRIPTION_ID" ]; then
    echo "Event Grid: set EVENTGRID_SYSTEM_TOPIC_RESOURCE_GROUP to a resource group in $topic_sub." >&2
    exit 1
  fi
  topic_rg=${AZURE_RESOURCE_GROUP:?not set: run azd provision first}
fi

if az eventgrid system-topic show --subscription "$topic_sub" --resource-group "$topic_rg" \
  --name "$topic_name" --output none --only-show-errors >/dev/null 2>&1; then
  create=false
else
  create=true
fi

# Right after a deploy the host may not have indexed the functions yet: retry a few times.
attempt=1
while ! az deployment group create --subscription "$topic_sub" --resource-group "$topic_rg" \
  --name "gallery-migrator-eventgrid-${AZURE_ENV_NAME}" --template-file "$template" \
  --parameters systemTopicName="$topic_name" createSystemTopic="$create" \
  functionAppId="$AZURE_FUNCTION_APP_ID" imageEvents="$image_events" \
  versionEvents="$version_events" galleryIds="$gallery_ids" \
  --output none --only-show-errors; do
  if [ "$attempt" -ge 5 ]; then
    echo "Event Grid: giving up after $attempt attempts; rerun with 'azd hooks run postdeploy'." >&2
    exit 1
  fi
  echo "Event Grid: attempt $attempt failed; retrying in 30 s."
  attempt=$((attempt + 1))
  sleep 30
done

# Remembered so that later deploys and `azd down` (predown hook) use the same topic.
azd env set EVENTGRID_TOPIC_SUBSCRIPTION_ID "$topic_sub"
azd env set EVENTGRID_SYSTEM_TOPIC_NAME "$topic_name"
azd env set EVENTGRID_SYSTEM_TOPIC_RESOURCE_GROUP "$topic_rg"
if [ "$image_events" = true ]; then
  echo "Event Grid: $topic_name delivers Microsoft.Compute/images/write to on_image_written."
fi
if [ "$version_events" = true ]; then
  echo "Event Grid: $topic_name delivers version writes in $gallery_ids to on_version_written."
fi
