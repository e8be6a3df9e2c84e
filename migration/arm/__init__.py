"""Azure Resource Manager access: the client, the calls, their JSON and their errors."""
