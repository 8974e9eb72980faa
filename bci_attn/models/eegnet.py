"""EEGNet (Lawhern et al., 2018, "EEGNet: a compact convolutional neural network for
EEG-based brain-computer interfaces", J. Neural Eng. 15(5), 056013), braindecode's
:class:`~braindecode.models.EEGNet`."""

from .registry import Backbone, register

EEGNET = register(
    Backbone(
        name="eegnet",
        display_name="EEGNet",
        model_class="braindecode.models.EEGNet",
        points={
            "input": "dimshuffle",  # (B, 1, E, T): before any filter, electrodes present
            "temporal": "bnorm_temporal",  # (B, F1, E, T): after temporal conv + BN
            "spatial": "drop_1",  # (B, F1*D, 1, T/4): after the depthwise spatial block
            "separable": "elu_2",  # (B, F2, 1, T/4): after the separable conv, before pooling
        },
        default_point="separable",
        time_last=True,
    )
)
