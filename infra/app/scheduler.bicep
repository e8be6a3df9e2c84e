// The Durable Task Scheduler as the app's Durable backend (durableBackend = durableTaskScheduler):
// a scheduler, the app's task hub in it, and the one data role the app's identity needs on it.
// The app does not change: main.bicep points the host at it with app settings that override
// host.json's storage provider. The host keeps its storage account for its own use.

@description('Name of the scheduler.')
param name string

param location string

param tags object = {}

@description('Consumption: pay per action, for bursty use; Dedicated: capacity units reserved.')
@allowed([
  'Consumption'
  'Dedicated'
])
param skuName string

@description('Capacity units of a Dedicated scheduler (each about 2,000 actions a second); 3 for high availability.')
@minValue(1)
@maxValue(3)
param capacity int = 1

@description('The task hub: host.json\'s hubName, which the host uses with either backend.')
param taskHubName string

@description('Object id of the app\'s managed identity.')
param principalId string

// Durable Task Data Contributor: run orchestrations, activities and entities, and read them.
var durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402'

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: skuName == 'Dedicated' ? { name: skuName, capacity: capacity } : { name: skuName }
    // An empty list refuses every caller; access is by Entra ID and the role below.
    ipAllowlist: [
      '0.0.0.0/0'
    ]
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

resource dataAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(scheduler.id, principalId, subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor))
  scope: scheduler
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor)
  }
}

output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
