// The app's secrets: the key that signs approve and reject links, and the notification webhook
// URLs (whoever holds one can post to the channel). The app reads them as Key Vault references
// in its app settings (@Microsoft.KeyVault(SecretUri=...)), resolved by the platform as the
// app's user-assigned identity (the site's keyVaultReferenceIdentity), which gets the built-in
// Key Vault Secrets User role on this vault only.

@description('Name of the vault (3-24 letters, digits and hyphens).')
param name string

@description('Region of the vault.')
param location string

@description('Tags for the vault.')
param tags object = {}

@description('Object id of the app\'s managed identity, which reads the secrets.')
param principalId string

@secure()
@description('The key that signs approve and reject links (APPROVAL_LINK_KEY).')
param approvalLinkKey string

@secure()
@description('NOTIFY_TEAMS_WEBHOOKS; empty: no secret.')
param notifyTeamsWebhooks string = ''

@secure()
@description('NOTIFY_SLACK_WEBHOOKS; empty: no secret.')
param notifySlackWebhooks string = ''

@secure()
@description('NOTIFY_JSON_WEBHOOKS; empty: no secret.')
param notifyJsonWebhooks string = ''

// Key Vault Secrets User: read secret contents, nothing else.
var secretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: the platform resolves Key Vault references over the public endpoint unless the app is VNet-integrated; see docs/deploy.md for private networking
  // checkov:skip=CKV_AZURE_189: the platform resolves Key Vault references over the public endpoint unless the app is VNet-integrated; see docs/deploy.md for private networking
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true // no access policies: roles only
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

// The link key always; each webhook list only when it is given.
resource linkKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41: the link key and webhook URLs do not expire on a schedule; rotating one is a redeploy (docs/deploy.md)
  parent: vault
  name: 'approval-link-key'
  properties: {
    value: approvalLinkKey
    contentType: 'text/plain'
  }
}

resource teamsWebhooks 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(notifyTeamsWebhooks)) {
  // checkov:skip=CKV_AZURE_41: the link key and webhook URLs do not expire on a schedule; rotating one is a redeploy (docs/deploy.md)
  parent: vault
  name: 'notify-teams-webhooks'
  properties: {
    value: notifyTeamsWebhooks
    contentType: 'text/plain'
  }
}

resource slackWebhooks 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(notifySlackWebhooks)) {
  // checkov:skip=CKV_AZURE_41: the link key and webhook URLs do not expire on a schedule; rotating one is a redeploy (docs/deploy.md)
  parent: vault
  name: 'notify-slack-webhooks'
  properties: {
    value: notifySlackWebhooks
    contentType: 'text/plain'
  }
}

resource jsonWebhooks 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(notifyJsonWebhooks)) {
  // checkov:skip=CKV_AZURE_41: the link key and webhook URLs do not expire on a schedule; rotating one is a redeploy (docs/deploy.md)
  parent: vault
  name: 'notify-json-webhooks'
  properties: {
    value: notifyJsonWebhooks
    contentType: 'text/plain'
  }
}

resource readSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUser))
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUser)
  }
}

// Key Vault references, one per secret that exists ('' for none: the app setting is dropped).
output references object = {
  APPROVAL_LINK_KEY: '@Microsoft.KeyVault(SecretUri=${linkKey.properties.secretUri})'
  NOTIFY_TEAMS_WEBHOOKS: empty(notifyTeamsWebhooks) ? '' : '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/notify-teams-webhooks/)'
  NOTIFY_SLACK_WEBHOOKS: empty(notifySlackWebhooks) ? '' : '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/notify-slack-webhooks/)'
  NOTIFY_JSON_WEBHOOKS: empty(notifyJsonWebhooks) ? '' : '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/notify-json-webhooks/)'
}
output name string = vault.name
