"""Pure-numpy model of Trask's binary-addition RNN: train it, step it, probe it.

Nothing here imports a UI, so a notebook can do:

    from model import RNN, RNNConfig, train, evaluate
    net = RNN(RNNConfig(seed=0))
    train(net, 8000)
    evaluate(net.synapse_0, net.synapse_1, net.synapse_h, net.bits)

The names below are imported on first use (PEP 562), so that `import model.network`
does not also load the checkpoint code (zipfile, tempfile): the app and the CLI start
faster when they need only part of the package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
    from model.config import RNNConfig
    from model.gradcheck import gradient_check
    from model.network import RNN, Network
    from model.probes import (
        Ablation,
        Accuracy,
        CarryProbe,
        carry_probe,
        carry_probes,
        evaluate,
        evaluate_net,
    )
    from model.stepper import ProbeStepper, Snapshot, Stepper
    from model.trainer import train

_HOME = {
    "CheckpointError": "model.checkpoint",
    "load_checkpoint": "model.checkpoint",
    "save_checkpoint": "model.checkpoint",
    "RNNConfig": "model.config",
    "RNN": "model.network",
    "Network": "model.network",
    "gradient_check": "model.gradcheck",
    "evaluate_net": "model.probes",
    "carry_probes": "model.probes",
    "Ablation": "model.probes",
    "Accuracy": "model.probes",
    "CarryProbe": "model.probes",
    "carry_probe": "model.probes",
    "evaluate": "model.probes",
    "ProbeStepper": "model.stepper",
    "Snapshot": "model.stepper",
    "Stepper": "model.stepper",
    "train": "model.trainer",
}

__all__ = [
    "RNN",
    "Ablation",
    "Accuracy",
    "CarryProbe",
    "CheckpointError",
    "Network",
    "ProbeStepper",
    "RNNConfig",
    "Snapshot",
    "Stepper",
    "carry_probe",
    "carry_probes",
    "evaluate",
    "evaluate_net",
    "gradient_check",
    "load_checkpoint",
    "save_checkpoint",
    "train",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'model' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
