# azd predown hook (Windows): the PowerShell twin of predown.sh; see that file for the why.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$names = @('gallery-migrator-image-written', 'gallery-migrator-version-written')
if (-not $env:EVENTGRID_SYSTEM_TOPIC_NAME) { exit 0 }
if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Error "Event Grid: az not found; delete event subscriptions $($names -join ', ') from system topic $($env:EVENTGRID_SYSTEM_TOPIC_NAME) yourself."
    exit 1
}

$topicSub = if ($env:EVENTGRID_TOPIC_SUBSCRIPTION_ID) { $env:EVENTGRID_TOPIC_SUBSCRIPTION_ID } else { $env:AZURE_SUBSCRIPTION_ID }
$topicId = "/subscriptions/$topicSub/resourceGroups/$($env:EVENTGRID_SYSTEM_TOPIC_RESOURCE_GROUP)/providers/Microsoft.EventGrid/systemTopics/$($env:EVENTGRID_SYSTEM_TOPIC_NAME)"

foreach ($name in $names) {
    $eventSubscriptionId = "$topicId/eventSubscriptions/$name"
    az resource show --ids $eventSubscriptionId --output none --only-show-errors 2>$null
    if ($LASTEXITCODE -eq 0) {
        az resource delete --ids $eventSubscriptionId --only-show-errors
        Write-Host "Event Grid: removed $eventSubscriptionId."
    }
}
