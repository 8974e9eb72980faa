"""Evaluation protocols as split objects that know their rules (one file each).

``within-session``, ``cross-session``, ``loso`` (:class:`LeaveOneSubjectOut`), ``holdout``
and ``cross-dataset``; every file of this package is imported here, so a new protocol is a
new file whose class is decorated with :func:`register`.
"""

import importlib
import pkgutil

from .base import (
    DataRequest,
    Fold,
    Protocol,
    available,
    check_protocol,
    get_protocol,
    register,
)
from .calibration import calibration_pool, calibration_set

for _info in pkgutil.iter_modules(__path__):
    if _info.name not in ("base", "calibration"):
        importlib.import_module(f"{__name__}.{_info.name}")

from .cross_dataset import CrossDataset  # noqa: E402
from .cross_session import CrossSession  # noqa: E402
from .holdout import Holdout  # noqa: E402
from .loso import LeaveOneSubjectOut  # noqa: E402
from .within_session import WithinSession  # noqa: E402

__all__ = [
    "CrossDataset",
    "CrossSession",
    "DataRequest",
    "Fold",
    "Holdout",
    "LeaveOneSubjectOut",
    "Protocol",
    "WithinSession",
    "available",
    "calibration_pool",
    "calibration_set",
    "check_protocol",
    "get_protocol",
    "register",
]
