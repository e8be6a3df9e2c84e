// An Azure Compute Gallery for the migrated images, created only when no existing gallery is given.

@description('Gallery name: letters, digits, underscores and periods; no dashes.')
@maxLength(80)
param name string

@description('Region of the gallery (its definitions and versions may replicate anywhere).')
param location string

@description('Tags for the gallery.')
param tags object = {}

resource gallery 'Microsoft.Compute/galleries@2023-07-03' = {
  name: name
  location: location
  tags: tags
  properties: {
    description: 'Images migrated from managed images by Gallery Migrator.'
  }
}

output id string = gallery.id
output name string = gallery.name
