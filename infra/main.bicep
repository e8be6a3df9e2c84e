// Gallery Migrator: the azd template's entry point. Creates the app's resource group and
// everything in it, and grants the app's identity only what the migration does, on only the
// gallery and the image sources it is given (which may sit in other resource groups or
// subscriptions). Event Grid is wired after deployment by infra/hooks/postdeploy.*.
targetScope = 'subscription'

// ---------------------------------------------------------------- azd environment

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region of the app and its resource group; it must offer Flex Consumption.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group for the app; empty: rg-<environmentName>.')
param resourceGroupName string = ''

// ---------------------------------------------------------------- what the app may touch

@description('Resource id of an existing Azure Compute Gallery to publish to; empty: create one in the app\'s resource group.')
param galleryId string = ''

@description('Name of the gallery to create when galleryId is empty (letters, digits, _ and .); empty: a generated name.')
param galleryName string = ''

@description('Comma-separated scopes that hold the managed images to migrate: /subscriptions/<id>/resourceGroups/<rg> or /subscriptions/<id>. Empty: the gallery\'s resource group.')
param imageSourceScopes string = ''

@description('ALLOWED_SCOPES for the app; empty: the image source scopes and the gallery resource group(s), i.e. exactly what the roles grant.')
param allowedScopes string = ''

// ---------------------------------------------------------------- app settings (see migration/config/settings.py)

@description('MAX_DATA_DISK_GB: largest data disk a migrated image may have.')
@minValue(1)
param maxDataDiskGb int = 1024

@description('DEFINITION_PUBLISHER: publisher for derived image definitions; empty: the app\'s own default.')
param definitionPublisher string = ''

@description('APPROVAL_TIMEOUT (ISO-8601 duration): default wait for approval before the source is kept.')
param approvalTimeout string = 'P3D'

@description('MAX_APPROVAL_TIMEOUT (ISO-8601 duration): longest approval wait a request may ask for.')
param maxApprovalTimeout string = 'P90D'

@description('REPLICATION_TIMEOUT (ISO-8601 duration): give up waiting for replication after this.')
param replicationTimeout string = 'PT24H'

@description('REPLICATION_POLL_MIN (ISO-8601 duration): closest two reads of a replicating version.')
param replicationPollMin string = 'PT30S'

@description('REPLICATION_POLL_MAX (ISO-8601 duration): longest replication poll interval.')
param replicationPollMax string = 'PT15M'

@description('MAX_IMAGES_PER_REQUEST: most images one migration takes (named or selected by scope).')
@minValue(1)
param maxImagesPerRequest int = 1000

@description('ARM_BUDGET: ARM request buckets per subscription, as kind=capacity/refill-per-second (reads, writes, deletes); empty: ARM\'s documented defaults.')
param armBudget string = ''

@description('MAX_CONCURRENT_VERSIONS: most image versions the app creates or replicates at once per subscription.')
@minValue(1)
param maxConcurrentVersions int = 1000

@description('DEFAULT_END_OF_LIFE (ISO-8601 duration): end of life of a version when a request gives none, from its creation.')
param defaultEndOfLife string = 'P365D'

@description('DELETION_BLOCK: when a new version blocks its own deletion before its end of life (onceSourceDeleted: when it becomes the only copy).')
@allowed(['onceSourceDeleted', 'always', 'never'])
param deletionBlock string = 'onceSourceDeleted'

@description('INCLUDE_DURABLE_LINKS: answer a start with the Durable management links too (they carry the extension system key).')
@allowed(['true', 'false'])
param includeDurableLinks string = 'false'

// ---------------------------------------------------------------- approvals people see (notifications, signed links)

@description('PUBLIC_BASE_URL: the app\'s public address for links in messages (https://...); empty: its default host name.')
param publicBaseUrl string = ''

@secure()
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 48
      noSpecial: true
    }
  }
})
@description('APPROVAL_LINK_KEY: signs approve and reject links; azd generates it once per environment and it is kept in Key Vault.')
param approvalLinkKey string

@secure()
@description('NOTIFY_TEAMS_WEBHOOKS: Teams Workflows webhook URLs, separated by spaces; kept in Key Vault.')
param notifyTeamsWebhooks string = ''

@secure()
@description('NOTIFY_SLACK_WEBHOOKS: Slack incoming webhook URLs, separated by spaces; kept in Key Vault.')
param notifySlackWebhooks string = ''

@secure()
@description('NOTIFY_JSON_WEBHOOKS: URLs that take the JSON notice, separated by spaces; kept in Key Vault.')
param notifyJsonWebhooks string = ''

@description('APPROVAL_REMINDER_INTERVAL (ISO-8601 duration, or none): a reminder this often while an approval waits.')
param approvalReminderInterval string = 'PT24H'

@description('APPROVAL_ESCALATION_BEFORE (ISO-8601 duration, or none): an escalation this long before an approval times out.')
param approvalEscalationBefore string = 'PT6H'

@description('NOTIFY_MAX_IMAGES: images a message lists by name (the rest are counted).')
@minValue(1)
param notifyMaxImages int = 10

@description('APPROVAL_REQUIRE_SIGN_IN: the decision page takes decisions only from callers signed in with App Service Authentication.')
@allowed(['true', 'false'])
param approvalRequireSignIn string = 'false'

// ---------------------------------------------------------------- Event Grid policy (off unless a gallery is given)

@description('EVENTGRID_GALLERY_ID: gallery that newly written managed images migrate to; empty: no Event Grid path.')
param eventGridGalleryId string = ''

@description('EVENTGRID_TARGET_REGIONS, e.g. "eastus=1, westus2=2:Standard_ZRS".')
param eventGridTargetRegions string = ''

@description('EVENTGRID_DELETE_SOURCE: when a migrated source image is deleted.')
@allowed([
  'never'
  'afterApproval'
  'afterReplication'
])
param eventGridDeleteSource string = 'afterApproval'

@description('EVENTGRID_APPROVAL_TIMEOUT (ISO-8601 duration); empty: APPROVAL_TIMEOUT.')
param eventGridApprovalTimeout string = ''

@description('EVENTGRID_STORAGE_ACCOUNT_TYPE for the versions; empty: the app\'s default.')
@allowed([
  ''
  'Standard_LRS'
  'Standard_ZRS'
  'Premium_LRS'
  'PremiumV2_LRS'
])
param eventGridStorageAccountType string = ''

@description('EVENTGRID_OPT_IN: migrate only images with the opt-in tag, or all.')
@allowed([
  'tag'
  'all'
])
param eventGridOptIn string = 'tag'

@description('EVENTGRID_OPT_IN_TAG: tag that opts an image in.')
param eventGridOptInTag string = 'migrateToGallery'

// ---------------------------------------------------------------- hosting

@description('Where Durable Functions keeps the task hub: azureStorage (the host\'s storage account) or durableTaskScheduler (a Durable Task Scheduler; see docs/deploy.md for when).')
@allowed([
  'azureStorage'
  'durableTaskScheduler'
])
param durableBackend string = 'azureStorage'

@description('With durableTaskScheduler: the scheduler\'s SKU.')
@allowed([
  'Consumption'
  'Dedicated'
])
param schedulerSku string = 'Dedicated'

@description('With a Dedicated scheduler: its capacity units (1 to 3; 3 for high availability).')
@minValue(1)
@maxValue(3)
param schedulerCapacity int = 1

@description('Most Flex Consumption instances; also bounds how hard the app can hit ARM.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// ---------------------------------------------------------------- names

var tags = {
  'azd-env-name': environmentName
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var rgName = !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
var rgId = '${subscription().id}/resourceGroups/${rgName}'
var functionAppName = 'func-gm-${resourceToken}'
var deploymentContainerName = 'app-package'

// ---------------------------------------------------------------- scopes
// Ids are compared and hashed in lower case: ARM ids are case-insensitive, and two spellings of
// one scope must not yield two role assignments (the second would fail as a duplicate).

var createGallery = empty(galleryId)
var newGalleryName = !empty(galleryName) ? galleryName : 'gallery_migrator_${resourceToken}'
var primaryGalleryId = toLower(createGallery ? '${rgId}/providers/Microsoft.Compute/galleries/${newGalleryName}' : trim(galleryId))
// The Event Grid gallery is written to by the app too, so it gets the same grant.
var galleryIds = union([primaryGalleryId], empty(eventGridGalleryId) ? [] : [toLower(trim(eventGridGalleryId))])
var galleryResourceGroupIds = union(map(galleryIds, g => join(take(split(g, '/'), 5), '/')), [])

var requestedSourceScopes = filter(map(split(imageSourceScopes, ','), s => toLower(trim(s))), s => !empty(s))
var sourceScopes = empty(requestedSourceScopes) ? [galleryResourceGroupIds[0]] : union(requestedSourceScopes, [])
// '/subscriptions/<id>/resourceGroups/<rg>' splits into 5 parts, '/subscriptions/<id>' into 3.
var sourceResourceGroupScopes = filter(sourceScopes, s => length(split(s, '/')) >= 5)
var sourceSubscriptionScopes = filter(sourceScopes, s => length(split(s, '/')) < 5)
var involvedSubscriptionIds = union(map(sourceScopes, s => split(s, '/')[2]), map(galleryIds, g => split(g, '/')[2]))

var effectiveAllowedScopes = !empty(allowedScopes) ? allowedScopes : join(union(sourceScopes, galleryResourceGroupIds), ',')

// ---------------------------------------------------------------- app settings
// Only non-empty values are written: an empty setting is not "unset" to every reader
// (EVENTGRID_DELETE_SOURCE='' is invalid), and the app supplies its own defaults.

var migratorSettings = {
  ALLOWED_SCOPES: effectiveAllowedScopes
  MAX_DATA_DISK_GB: string(maxDataDiskGb)
  DEFINITION_PUBLISHER: definitionPublisher
  APPROVAL_TIMEOUT: approvalTimeout
  MAX_APPROVAL_TIMEOUT: maxApprovalTimeout
  REPLICATION_TIMEOUT: replicationTimeout
  REPLICATION_POLL_MIN: replicationPollMin
  REPLICATION_POLL_MAX: replicationPollMax
  MAX_IMAGES_PER_REQUEST: string(maxImagesPerRequest)
  ARM_BUDGET: armBudget
  MAX_CONCURRENT_VERSIONS: string(maxConcurrentVersions)
  DEFAULT_END_OF_LIFE: defaultEndOfLife
  DELETION_BLOCK: deletionBlock
  INCLUDE_DURABLE_LINKS: includeDurableLinks
}

var eventGridSettings = empty(eventGridGalleryId) ? {} : {
  EVENTGRID_GALLERY_ID: eventGridGalleryId
  EVENTGRID_TARGET_REGIONS: eventGridTargetRegions
  EVENTGRID_DELETE_SOURCE: eventGridDeleteSource
  EVENTGRID_APPROVAL_TIMEOUT: eventGridApprovalTimeout
  EVENTGRID_STORAGE_ACCOUNT_TYPE: eventGridStorageAccountType
  EVENTGRID_OPT_IN: eventGridOptIn
  EVENTGRID_OPT_IN_TAG: eventGridOptInTag
}

// With the Durable Task Scheduler, app settings override host.json's storage provider (the
// host reads AzureFunctionsJobHost__<path> as host.json), so one package serves both backends.
var useScheduler = durableBackend == 'durableTaskScheduler'
var taskHubName = 'GalleryMigrator' // host.json's hubName
var schedulerSettings = useScheduler ? {
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${scheduler!.outputs.endpoint};Authentication=ManagedIdentity;ClientID=${identity.outputs.clientId}'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
} : {}

// Secrets are Key Vault references (the platform resolves them as the app's identity).
var approvalSettings = union(keyVault.outputs.references, {
  PUBLIC_BASE_URL: publicBaseUrl
  APPROVAL_REMINDER_INTERVAL: approvalReminderInterval
  APPROVAL_ESCALATION_BEFORE: approvalEscalationBefore
  NOTIFY_MAX_IMAGES: string(notifyMaxImages)
  APPROVAL_REQUIRE_SIGN_IN: approvalRequireSignIn
})

var appSettings = toObject(
  filter(items(union(migratorSettings, eventGridSettings, approvalSettings, schedulerSettings)), setting => !empty(setting.value)),
  setting => setting.key,
  setting => setting.value
)

// ---------------------------------------------------------------- the app

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: rgName
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-gm-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stgm${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-gm-${resourceToken}'
    applicationInsightsName: 'appi-gm-${resourceToken}'
    location: location
    tags: tags
  }
}

module scheduler 'app/scheduler.bicep' = if (useScheduler) {
  name: 'scheduler'
  scope: rg
  params: {
    name: 'dts-gm-${resourceToken}'
    location: location
    tags: tags
    skuName: schedulerSku
    capacity: schedulerCapacity
    taskHubName: taskHubName
    principalId: identity.outputs.principalId
  }
}

module hostAccess 'app/host-access.bicep' = {
  name: 'host-access'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module keyVault 'app/key-vault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    name: 'kv-gm-${take(resourceToken, 17)}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    approvalLinkKey: approvalLinkKey
    notifyTeamsWebhooks: notifyTeamsWebhooks
    notifySlackWebhooks: notifySlackWebhooks
    notifyJsonWebhooks: notifyJsonWebhooks
  }
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-gm-${resourceToken}'
    location: location
    tags: tags
    serviceName: 'api'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appSettings: appSettings
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
  // The host starts as soon as code lands; let it find its storage roles (and its secrets'
  // role, for Key Vault references) in place.
  dependsOn: [
    hostAccess
    keyVault
  ]
}

// ---------------------------------------------------------------- the gallery and the migration's roles

module gallery 'app/gallery.bicep' = if (createGallery) {
  name: 'gallery'
  scope: rg
  params: {
    name: newGalleryName
    location: location
    tags: tags
  }
}

module roles 'app/roles.bicep' = {
  name: 'gm-roles-${resourceToken}'
  params: {
    roleNameSuffix: '${environmentName}-${resourceToken}'
    assignableScopes: union(
      ['/subscriptions/${toLower(subscription().subscriptionId)}'],
      map(involvedSubscriptionIds, subscriptionId => '/subscriptions/${subscriptionId}')
    )
  }
}

module galleryAccess 'app/gallery-access.bicep' = [
  for (galleryResourceId, i) in galleryIds: {
    name: 'gm-gallery-${resourceToken}-${i}'
    scope: resourceGroup(split(galleryResourceId, '/')[2], split(galleryResourceId, '/')[4])
    params: {
      galleryName: split(galleryResourceId, '/')[8]
      principalId: identity.outputs.principalId
      roleDefinitionName: roles.outputs.galleryPublisherRoleName
    }
    dependsOn: [
      gallery
    ]
  }
]

module imageGroupAccess 'app/resource-group-access.bicep' = [
  for (source, i) in sourceResourceGroupScopes: {
    name: 'gm-images-${resourceToken}-${i}'
    scope: resourceGroup(split(source, '/')[2], split(source, '/')[4])
    params: {
      principalId: identity.outputs.principalId
      roleDefinitionName: roles.outputs.imageSourceRoleName
    }
    dependsOn: [
      rg // the default source scope is the gallery's group, which may be this one
    ]
  }
]

module imageSubscriptionAccess 'app/subscription-access.bicep' = [
  for (source, i) in sourceSubscriptionScopes: {
    name: 'gm-images-sub-${resourceToken}-${i}'
    scope: subscription(split(source, '/')[2])
    params: {
      principalId: identity.outputs.principalId
      roleDefinitionName: roles.outputs.imageSourceRoleName
    }
  }
]

module operationAccess 'app/subscription-access.bicep' = [
  for (subscriptionId, i) in involvedSubscriptionIds: {
    name: 'gm-operations-${resourceToken}-${i}'
    scope: subscription(subscriptionId)
    params: {
      principalId: identity.outputs.principalId
      roleDefinitionName: roles.outputs.operationReaderRoleName
    }
  }
]

// ---------------------------------------------------------------- outputs (azd stores them in the environment)

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_ID string = functionApp.outputs.id
output AZURE_FUNCTION_APP_URI string = functionApp.outputs.uri
output AZURE_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output AZURE_GALLERY_ID string = primaryGalleryId
output GALLERY_MIGRATOR_ALLOWED_SCOPES string = effectiveAllowedScopes
output SERVICE_API_NAME string = functionApp.outputs.name
