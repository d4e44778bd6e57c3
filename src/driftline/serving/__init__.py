"""Real-time serving: Open Inference Protocol V2, MLflow scoring, native /v1, one process or many."""

from driftline.registry import ModelRuntime, Prediction
from driftline.serving._app import CONFIG_ENV, SUPERVISOR_ENV, create_app, create_app_from_env
from driftline.serving._deployments import DeploymentSpec, deploy, list_deployments, undeploy
from driftline.serving._edge import status_for
from driftline.serving._state import ServerConfig

__all__ = [
    "CONFIG_ENV",
    "SUPERVISOR_ENV",
    "DeploymentSpec",
    "ModelRuntime",
    "Prediction",
    "ServerConfig",
    "create_app",
    "create_app_from_env",
    "deploy",
    "list_deployments",
    "status_for",
    "undeploy",
]
