# azd predown hook (Windows): the PowerShell twin of predown.sh; see that file for the why.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

if (-not $env:EVENTGRID_SYSTEM_TOPIC_NAME) { exit 0 }
if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Error "Event Grid: az not found; delete event subscription gallery-migrator-image-written from system topic $($env:EVENTGRID_SYSTEM_TOPIC_NAME) yourself."
    exit 1
}

$topicSub = if ($env:EVENTGRID_TOPIC_SUBSCRIPTION_ID) { $env:EVENTGRID_TOPIC_SUBSCRIPTION_ID } else { $env:AZURE_SUBSCRIPTION_ID }
$eventSubscriptionId = "/subscriptions/$topicSub/resourceGroups/$($env:EVENTGRID_SYSTEM_TOPIC_RESOURCE_GROUP)/providers/Microsoft.EventGrid/systemTopics/$($env:EVENTGRID_SYSTEM_TOPIC_NAME)/eventSubscriptions/gallery-migrator-image-written"

az resource show --ids $eventSubscriptionId --output none --only-show-errors 2>$null
if ($LASTEXITCODE -eq 0) {
    az resource delete --ids $eventSubscriptionId --only-show-errors
    Write-Host "Event Grid: removed $eventSubscriptionId."
}
