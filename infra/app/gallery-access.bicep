// Grants a role on one gallery (not its resource group): deployed into the gallery's resource
// group, which may differ from the app's, even in another subscription.

@description('Name of the gallery.')
param galleryName string

@description('Object id of the app\'s managed identity.')
param principalId string

@description('Name (GUID) of the role definition to assign.')
param roleDefinitionName string

var roleDefinitionId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionName)

resource gallery 'Microsoft.Compute/galleries@2023-07-03' existing = {
  name: galleryName
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(gallery.id, principalId, roleDefinitionId)
  scope: gallery
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal' // skips the directory lookup that fails for a new identity
    roleDefinitionId: roleDefinitionId
  }
}
