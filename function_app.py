"""The Gallery Migrator Functions app: registers the blueprints, nothing else."""

import azure.durable_functions as df
import azure.functions as func

import activities
import entities
import orchestrators
import triggers

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in [
    *triggers.blueprints,
    *orchestrators.blueprints,
    *entities.blueprints,
    *activities.blueprints,
]:
    app.register_functions(blueprint)
