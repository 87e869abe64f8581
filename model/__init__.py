"""Pure-numpy model of Trask's binary-addition RNN: train it, step it, probe it.

Nothing here imports a UI, so a notebook can do:

    from model import RNN, RNNConfig, train, evaluate
    net = RNN(RNNConfig(seed=0))
    train(net, 8000)
    evaluate(net.synapse_0, net.synapse_1, net.synapse_h, net.bits)
"""

from model.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from model.config import RNNConfig
from model.network import RNN
from model.probes import Ablation, Accuracy, CarryProbe, carry_probe, evaluate
from model.stepper import ProbeStepper, Snapshot, Stepper
from model.trainer import train

__all__ = [
    "RNN",
    "Ablation",
    "Accuracy",
    "CarryProbe",
    "CheckpointError",
    "ProbeStepper",
    "RNNConfig",
    "Snapshot",
    "Stepper",
    "carry_probe",
    "evaluate",
    "load_checkpoint",
    "save_checkpoint",
    "train",
]
