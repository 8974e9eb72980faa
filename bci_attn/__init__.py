"""bci-attn: EEG motor-imagery decoding with attention.

Attention modules from the vision literature adapted to EEG (:mod:`bci_attn.attention`),
inserted into braindecode's EEGNet and ShallowFBCSPNet (:mod:`bci_attn.models`), trained
with Lightning (:mod:`bci_attn.training`) and evaluated with leakage-free protocols on
MOABB datasets (:mod:`bci_attn.evaluation`), alone or in sweeps and nested selections
(:mod:`bci_attn.studies`); one configuration declares every option
(:mod:`bci_attn.config`).

>>> from bci_attn import RunConfig, evaluate
>>> summary = evaluate(RunConfig.create(attention="cbam", max_epochs=10))  # doctest: +SKIP
"""

__version__ = "0.2.0"

__all__ = ["RunConfig", "evaluate", "load_config"]


def __getattr__(name: str):
    # Lazy: ``import bci_attn`` stays light (the command line refuses bad input at once).
    if name in ("RunConfig", "load_config"):
        from . import config

        return getattr(config, name)
    if name == "evaluate":
        from .studies.single import evaluate

        return evaluate
    raise AttributeError(f"module 'bci_attn' has no attribute {name!r}")
