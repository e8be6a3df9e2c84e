# azd postdeploy hook (Windows): the PowerShell twin of postdeploy.sh; see that file for the why.
# Subscribes on_image_written (with EVENTGRID_GALLERY_ID) and on_version_written (unless
# VERSION_EVENTS is off) to the subscription's resource events once the code is deployed.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$imageEvents = if ($env:EVENTGRID_GALLERY_ID) { 'true' } else { 'false' }
$versionSetting = if ($env:VERSION_EVENTS) { $env:VERSION_EVENTS.ToLowerInvariant() } else { 'true' }
$versionEvents = if (@('false', 'no', '0', 'off') -contains $versionSetting) { 'false' } else { 'true' }
if ($imageEvents -eq 'false' -and $versionEvents -eq 'false') {
    Write-Host 'Event Grid: EVENTGRID_GALLERY_ID is not set and VERSION_EVENTS is off; skipping.'
    exit 0
}
if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Write-Error "Event Grid: this step needs the Azure CLI (az). Install it, run 'az login', then 'azd hooks run postdeploy'."
    exit 1
}
foreach ($name in 'AZURE_FUNCTION_APP_ID', 'AZURE_SUBSCRIPTION_ID', 'AZURE_ENV_NAME') {
    if (-not [Environment]::GetEnvironmentVariable($name)) {
        Write-Error "Event Grid: $name is not set: run azd provision first."
        exit 1
    }
}

$template = Join-Path $PSScriptRoot '../app/event-grid.bicep'
$topicSub = if ($env:EVENTGRID_TOPIC_SUBSCRIPTION_ID) { $env:EVENTGRID_TOPIC_SUBSCRIPTION_ID } else { $env:AZURE_SUBSCRIPTION_ID }
$sourceId = "/subscriptions/$topicSub".ToLowerInvariant()
$topicName = $env:EVENTGRID_SYSTEM_TOPIC_NAME
$topicRg = $env:EVENTGRID_SYSTEM_TOPIC_RESOURCE_GROUP

# Azure allows one system topic per source: reuse the subscription's topic when there is one.
if (-not $topicName) {
    # A subscription that never used Event Grid (provider not registered) lists nothing.
    $topics = @(az eventgrid system-topic list --subscription $topicSub --only-show-errors --output json | ConvertFrom-Json)
    if ($LASTEXITCODE -ne 0) { $topics = @() }
    $existing = $topics | Where-Object { $_.source -and $_.source.ToLowerInvariant() -eq $sourceId } | Select-Object -First 1
    if ($existing) {
        $topicName = $existing.name
        $topicRg = $existing.resourceGroup
        Write-Host "Event Grid: reusing system topic $topicName in $topicRg."
    }
}
if (-not $topicName) {
    $topicName = "evgt-$($env:AZURE_ENV_NAME)-subscription"
}

# Version events only for the galleries the app writes versions in (lower case, as main.bicep
# scopes its gallery role).
$galleries = @($env:AZURE_GALLERY_ID, $env:EVENTGRID_GALLERY_ID | Where-Object { $_ } | ForEach-Object { $_.ToLowerInvariant() })
$galleryIds = ConvertTo-Json -InputObject $galleries -Compress
if (-not $topicRg) {
    if ($topicSub -ne $env:AZURE_SUBSCRIPTION_ID) {
        Write-Error "Event Grid: set EVENTGRID_SYSTEM_TOPIC_RESOURCE_GROUP to a resource group in $topicSub."
        exit 1
    }
    $topicRg = $env:AZURE_RESOURCE_GROUP
}

az eventgrid system-topic show --subscription $topicSub --resource-group $topicRg --name $topicName --output none --only-show-errors 2>$null
$create = if ($LASTEXITCODE -eq 0) { 'false' } else { 'true' }

# Right after a deploy the host may not have indexed the functions yet: retry a few times.
for ($attempt = 1; ; $attempt++) {
    az deployment group create --subscription $topicSub --resource-group $topicRg `
        --name "gallery-migrator-eventgrid-$($env:AZURE_ENV_NAME)" --template-file $template `
        --parameters "systemTopicName=$topicName" "createSystemTopic=$create" "functionAppId=$($env:AZURE_FUNCTION_APP_ID)" `
        "imageEvents=$imageEvents" "versionEvents=$versionEvents" "galleryIds=$galleryIds" `
        --output none --only-show-errors
    if ($LASTEXITCODE -eq 0) { break }
    if ($attempt -ge 5) {
        Write-Error "Event Grid: giving up after $attempt attempts; rerun with 'azd hooks run postdeploy'."
        exit 1
    }
    Write-Host "Event Grid: attempt $attempt failed; retrying in 30 s."
    Start-Sleep -Seconds 30
}

# Remembered so that later deploys and `azd down` (predown hook) use the same topic.
azd env set EVENTGRID_TOPIC_SUBSCRIPTION_ID $topicSub
azd env set EVENTGRID_SYSTEM_TOPIC_NAME $topicName
azd env set EVENTGRID_SYSTEM_TOPIC_RESOURCE_GROUP $topicRg
if ($imageEvents -eq 'true') { Write-Host "Event Grid: $topicName delivers Microsoft.Compute/images/write to on_image_written." }
if ($versionEvents -eq 'true') { Write-Host "Event Grid: $topicName delivers version writes in $galleryIds to on_version_written." }
