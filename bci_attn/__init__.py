"""bci-attn: EEG motor-imagery decoding with attention.

Attention modules from the vision literature adapted to EEG (:mod:`bci_attn.attention`),
inserted into braindecode's EEGNet and ShallowFBCSPNet (:func:`bci_attn.models.build_model`),
trained with Lightning and evaluated with leakage-free protocols on MOABB datasets
(:mod:`bci_attn.protocols`, :mod:`bci_attn.experiment`).
"""

__version__ = "0.1.0"
