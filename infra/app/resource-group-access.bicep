// Grants a role on the resource group this module is deployed to (a source of managed images).

@description('Object id of the app\'s managed identity.')
param principalId string

@description('Name (GUID) of the role definition to assign.')
param roleDefinitionName string

var roleDefinitionId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionName)

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, roleDefinitionId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: roleDefinitionId
  }
}
