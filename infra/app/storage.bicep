// The Functions host's storage account: Durable Functions' task hub (queues, tables, blob leases)
// and the Flex Consumption deployment package. Nothing reaches it with a key: shared-key access is
// off, so the app's identity and Entra-authenticated users are the only way in.

@description('Name of the storage account (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Region of the storage account.')
param location string

@description('Tags for the storage account.')
param tags object = {}

@description('Blob container that holds the deployment package Flex Consumption runs from.')
param deploymentContainerName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: without VNet integration Flex workers reach storage publicly; access is Entra-only (no keys)
  // checkov:skip=CKV_AZURE_59: as above: public endpoint, identity-only access, no anonymous blob access
  // checkov:skip=CKV_AZURE_206: LRS by choice: the task hub holds orchestration state only; losing it never loses an image (a source is deleted only after its gallery version is verified)
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    // Identity only: the host connects with AzureWebJobsStorage__credential=managedidentity.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Without VNet integration the Flex Consumption workers reach storage over its public
    // endpoint; access is still Entra-only (see docs/deploy.md on adding a VNet).
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
