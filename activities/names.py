"""Activity names: the activities register them and the orchestrators call them."""

INSPECT_IMAGE = "inspect_image"
DELETE_SOURCE = "delete_source"
INSPECT = "inspect_request"
ENSURE_DEFINITION = "ensure_definition"
START_VERSION = "start_version"
GET_VERSIONS = "get_versions"
RELEASE_CLAIMS = "release_claims"
