// Custom roles holding exactly the ARM actions the migration performs (see docs/deploy.md).
// Three roles, because each set belongs at a different scope:
// - image source: read a managed image, delete it once it is safely in the gallery; assigned on
//   the source resource groups (or subscriptions);
// - gallery publisher: read the gallery, create definitions and versions, read replication status;
//   assigned on the gallery alone;
// - subscription reader (symbol operationReader, its id unchanged): the reads that live above any
//   resource group, so this role is assigned on the subscriptions involved:
//   - the status of the gallery's long-running operations
//     (/subscriptions/<id>/providers/Microsoft.Compute/locations/<region>/capsOperations/...);
//     image deletes are started without polling (the image is read again instead), so the
//     compute operations' status (locations/operations/read) is not granted;
//   - the subscription's scale sets, to see whether a source image is still in use before it is
//     deleted (virtualMachineScaleSets list_all);
//   - the disk encryption sets a request names for its regions (in the gallery's subscription,
//     any resource group);
//   - ARM's list of the subscription's locations, so that a request naming a region the
//     subscription does not have is refused before anything starts. This is the one action
//     outside Microsoft.Compute, taken deliberately: Microsoft.Resources/subscriptions/locations/read
//     reveals nothing but the region list.
// Deliberately absent: versions/delete (the app never rolls a version back), galleries/write
// (the app never changes the gallery), any write outside the gallery, any wildcard.
targetScope = 'subscription'

@description('Makes role names unique in the tenant: azd environment name and resource token.')
param roleNameSuffix string

@description('Subscriptions (/subscriptions/<id>) where the roles may be assigned.')
param assignableScopes array

var imageSourceActions = [
  'Microsoft.Compute/images/read'
  'Microsoft.Compute/images/delete'
]

var galleryPublisherActions = [
  'Microsoft.Compute/galleries/read'
  'Microsoft.Compute/galleries/images/read'
  'Microsoft.Compute/galleries/images/write'
  'Microsoft.Compute/galleries/images/versions/read'
  'Microsoft.Compute/galleries/images/versions/write'
]

var operationReaderActions = [
  'Microsoft.Compute/locations/capsOperations/read'
  'Microsoft.Compute/virtualMachineScaleSets/read'
  'Microsoft.Compute/diskEncryptionSets/read'
  'Microsoft.Resources/subscriptions/locations/read'
]

resource imageSource 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, roleNameSuffix, 'image-source')
  properties: {
    roleName: 'Gallery Migrator image source (${roleNameSuffix})'
    description: 'Read managed images and delete one after its gallery version is replicated.'
    type: 'CustomRole'
    permissions: [
      {
        actions: imageSourceActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: assignableScopes
  }
}

resource galleryPublisher 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, roleNameSuffix, 'gallery-publisher')
  properties: {
    roleName: 'Gallery Migrator gallery publisher (${roleNameSuffix})'
    description: 'Read a gallery and create image definitions and image versions in it.'
    type: 'CustomRole'
    permissions: [
      {
        actions: galleryPublisherActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: assignableScopes
  }
}

resource operationReader 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, roleNameSuffix, 'operation-reader')
  properties: {
    roleName: 'Gallery Migrator subscription reader (${roleNameSuffix})'
    description: 'Poll Compute operations; read scale sets, disk encryption sets and the locations list.'
    type: 'CustomRole'
    permissions: [
      {
        actions: operationReaderActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: assignableScopes
  }
}

// Role definition names (GUIDs); assignments build the full id in their own subscription.
output imageSourceRoleName string = imageSource.name
output galleryPublisherRoleName string = galleryPublisher.name
output operationReaderRoleName string = operationReader.name
