// The Function App on a Flex Consumption (FC1) plan: Python 3.11, run from a package in blob
// storage, with every connection made as the user-assigned identity.

@description('Name of the Function App.')
param name string

@description('Name of its Flex Consumption plan.')
param planName string

@description('Region of the plan and the app; must offer Flex Consumption.')
param location string

@description('Tags for the plan and the app.')
param tags object = {}

@description('azd service name in azure.yaml; azd finds the app to deploy to by this tag.')
param serviceName string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity.')
param identityClientId string

@description('Name of the host storage account (task hub and deployment package).')
param storageAccountName string

@description('Blob container holding the deployment package.')
param deploymentContainerName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('The migrator\'s own app settings (see main.bicep); host settings are added here.')
param appSettings object

@description('Most instances the app may scale out to; a low cap also caps the app\'s ARM call rate.')
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

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: zone redundancy needs ZRS storage and a supporting region, and costs always-ready instances; a migration tolerates a zone outage (state is durable)
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux: Flex Consumption runs on Linux only
  }
}

// Identity-based connections for the host. Durable Functions' Azure Storage provider uses all three
// services (control and work-item queues, history and instance tables, partition-lease blobs), so
// each gets its own service URI; there is no key or connection string to leak or rotate.
var hostSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  // Entra auth for telemetry: the component rejects unauthenticated ingestion (DisableLocalAuth).
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // DefaultAzureCredential in the app picks the user-assigned identity by this client id.
  AZURE_CLIENT_ID: identityClientId
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_17: callers authenticate with function keys over HTTPS, not client certificates
  // checkov:skip=CKV_AZURE_212: Flex Consumption scales to zero by design; durable state survives instance loss
  // checkov:skip=CKV_AZURE_213: Flex Consumption has no App Service health check; Application Insights watches the app
  // checkov:skip=CKV_AZURE_78: Flex Consumption has no FTP deployment, and FTP basic auth is disabled below
  // checkov:skip=CKV_AZURE_18: HTTP/2 left at the platform default (not verified on Flex Consumption)
  // checkov:skip=CKV_AZURE_67: HTTP/2 left at the platform default (not verified on Flex Consumption)
  // checkov:skip=CKV_AZURE_222: the API and Event Grid delivery need the public endpoint; see docs/deploy.md for private networking
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references in the app settings resolve as the user-assigned identity.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      // Flex Consumption takes the runtime here; FUNCTIONS_WORKER_RUNTIME and
      // FUNCTIONS_EXTENSION_VERSION must not be set as app settings on this plan.
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// Children use `parent` rather than nesting: pycep-parser (the tests' Bicep reader) keeps only
// the last of several nested children.
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov:skip=CKV_AZURE_13: the API uses function keys (docs/deploy.md); App Service Authentication is an optional extra
  // checkov:skip=CKV_AZURE_63: App Service HTTP logs do not apply to Flex Consumption; logs go to Application Insights
  // checkov:skip=CKV_AZURE_65: App Service detailed errors do not apply to Flex Consumption; see Application Insights
  // checkov:skip=CKV_AZURE_66: App Service request tracing does not apply to Flex Consumption; see Application Insights
  // checkov:skip=CKV_AZURE_80: a Python app: no .NET Framework version
  // checkov:skip=CKV_AZURE_88: Flex Consumption runs from a blob package, not Azure Files
  // checkov:skip=CKV_AZURE_222: the API and Event Grid delivery need the public endpoint; see docs/deploy.md for private networking
  parent: site
  name: 'appsettings'
  properties: union(appSettings, hostSettings, linkSettings)
}

// Links in messages lead to the site's own host name unless PUBLIC_BASE_URL names another
// (a custom domain, a front door).
var linkSettings = contains(appSettings, 'PUBLIC_BASE_URL') ? {} : {
  PUBLIC_BASE_URL: 'https://${site.properties.defaultHostName}'
}

// azd deploys with Entra auth; nobody needs FTP or SCM basic-auth publishing credentials.
resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output id string = site.id
output name string = site.name
output uri string = 'https://${site.properties.defaultHostName}'
