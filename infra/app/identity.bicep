// The app's user-assigned managed identity. It outlives any one deployment of the site, so role
// assignments made to it survive a redeploy, and its client id can be given to the app
// (AZURE_CLIENT_ID) before the site exists.

@description('Name of the identity.')
param name string

@description('Region of the identity.')
param location string

@description('Tags for the identity.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
