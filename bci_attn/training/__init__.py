"""Training: on-device batches, the Lightning module, augmentation, few-shot fine-tuning
and fold-parallel training.

=================  ======================================================================
``batches``        trials as on-device mini-batches, their standardisation
``module``         the Lightning module: loss, schedule, metrics
``augmentation``   augmentations by name (importable without torch)
``transforms``     the time shift braindecode lacks
``fit``            one model trained on one fold with Lightning's trainer
``finetune``       few-shot calibration of a trained model, predictions
``parallel``       K copies of one network trained at once (torch.func)
=================  ======================================================================

Importing this package imports nothing heavy: each name below loads its module, and
with it torch and Lightning, on first use (:mod:`bci_attn.lazy`).
"""

from ..lazy import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "batches": ("TrialBatches", "TrialsDataModule", "standardise"),
        "module": ("DecodingModule", "attention_penalty", "mixed_cross_entropy", "warmup_cosine"),
        "augmentation": ("check_augmentation", "make_augmentation"),
        "transforms": ("TimeShift", "time_shift"),
        "finetune": ("FINETUNE_PARTS", "finetune", "predict", "tuned_modules"),
        "parallel": ("Member", "check_members", "n_groups", "train_parallel"),
    },
)
