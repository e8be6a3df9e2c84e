// Stage two, run by infra/hooks/postdeploy.* after the code is deployed: Event Grid validates an
// AzureFunction destination when the subscription is created, and fails with "Destination
// endpoint not found" while the function does not exist yet. Deployed to the resource group
// that holds (or will hold) the subscription's system topic.
//
// Azure allows one system topic per source, so when the subscription already has one the hook
// passes its name with createSystemTopic=false and only the event subscriptions are added to it.
// Two subscriptions on the one topic: managed image writes to on_image_written (migrations by
// policy), and version writes to on_version_written (hints that wake replication watchers).

@description('System topic for the subscription\'s resource events (existing or to create).')
param systemTopicName string

@description('Create the system topic; false reuses an existing one of that name.')
param createSystemTopic bool = true

@description('Resource id of the Function App that hosts on_image_written.')
param functionAppId string

@description('Name of the event subscription.')
param eventSubscriptionName string = 'gallery-migrator-image-written'

@description('Subscribe on_image_written to managed image writes (EVENTGRID_GALLERY_ID is set).')
param imageEvents bool = true

@description('Subscribe on_version_written to version writes: hints for replication watchers.')
param versionEvents bool = true

@description('Name of the version write event subscription.')
param versionSubscriptionName string = 'gallery-migrator-version-written'

@description('Galleries the app writes versions in (the gallery role\'s scope): only their version writes are delivered; empty: every version write in the subscription.')
param galleryIds array = []

@description('Delivery attempts before Event Grid drops an event (the app tolerates redelivery).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Minutes Event Grid keeps retrying an event.')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

@description('Tags for a created system topic.')
param tags object = {}

resource newTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = if (createSystemTopic) {
  name: systemTopicName
  location: 'global' // subscription-level resource events are not regional
  tags: tags
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

resource imageWritten 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (imageEvents) {
  parent: topic
  name: eventSubscriptionName
  dependsOn: [
    newTopic
  ]
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppId}/functions/on_image_written'
        // One event per invocation: each starts (or skips) its own migration.
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema' // on_image_written binds func.EventGridEvent
    filter: {
      // Only successful writes of managed images; any other resource write never reaches the app.
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess'
      ]
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: [
            'Microsoft.Compute/images/write'
          ]
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
  }
}

// ResourceWriteSuccess/Failure when a version's PUT operation ends (when its replication ends, or
// a later update of it). A hint is worth something only while fresh, and polling finds the end
// anyway: a few quick attempts, then the event is dropped.
resource versionWritten 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (versionEvents) {
  parent: topic
  name: versionSubscriptionName
  dependsOn: [
    newTopic
  ]
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppId}/functions/on_version_written'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema' // on_version_written binds func.EventGridEvent
    filter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess'
        'Microsoft.Resources.ResourceWriteFailure'
      ]
      advancedFilters: concat(
        [
          {
            operatorType: 'StringIn'
            key: 'data.operationName'
            values: [
              'Microsoft.Compute/galleries/images/versions/write'
            ]
          }
        ],
        empty(galleryIds) ? [] : [
          {
            // Event Grid compares strings case-insensitively (subjects spell resourcegroups
            // in lower case).
            operatorType: 'StringBeginsWith'
            key: 'subject'
            values: map(galleryIds, gallery => '${gallery}/images/')
          }
        ]
      )
    }
    retryPolicy: {
      maxDeliveryAttempts: 3
      eventTimeToLiveInMinutes: 10
    }
  }
}

output systemTopicId string = topic.id
output eventSubscriptionId string = imageEvents ? imageWritten.id : ''
output versionSubscriptionId string = versionEvents ? versionWritten.id : ''
