// Grants a role on the subscription this module is deployed to: operation-status reads, which
// live above resource groups, and image access when a whole subscription is a source.
targetScope = 'subscription'

@description('Object id of the app\'s managed identity.')
param principalId string

@description('Name (GUID) of the role definition to assign.')
param roleDefinitionName string

var roleDefinitionId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionName)

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, roleDefinitionId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: roleDefinitionId
  }
}
