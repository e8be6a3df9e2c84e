# devhost's file, not Microsoft's: the upstream e2e app's function_app.py registers eleven more
# blueprints, which are not copied here. This one registers the copied blueprints the same way.
import azure.functions as func

from class_based_entities import bp as class_based_entities_bp
from entity_error_handling import bp as entity_error_handling_bp
from hello_cities import bp

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

app.register_blueprint(bp)
app.register_blueprint(entity_error_handling_bp)
app.register_blueprint(class_based_entities_bp)
