"""ShallowConvNet (Schirrmeister et al., 2017, "Deep learning with convolutional neural
networks for EEG decoding and visualization", Hum. Brain Mapp. 38(11), 5391-5420),
braindecode's :class:`~braindecode.models.ShallowFBCSPNet` with its merged
temporal-spatial convolution computed as a 1-D convolution
(:mod:`~bci_attn.models.combined_conv`)."""

from .registry import Backbone, register

SHALLOW = register(
    Backbone(
        name="shallow",
        display_name="ShallowConvNet (ShallowFBCSPNet)",
        model_class="braindecode.models.ShallowFBCSPNet",
        points={
            "input": "dimshuffle",  # (B, 1, T, E): before the temporal-spatial conv
            "conv": "bnorm",  # (B, 40, T', 1): after the temporal-spatial conv + BN
            "pool": "pool_nonlin_exp",  # (B, 40, T'', 1): after square, mean-pool and log
        },
        default_point="pool",
        time_last=False,
        post_build="bci_attn.models.combined_conv.use_conv1d",
    )
)
