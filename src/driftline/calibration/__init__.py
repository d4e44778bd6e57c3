"""Can the probabilities be trusted? Measure calibration, and recalibrate.

- :func:`calibration_report`: expected calibration error (equal-width and
  equal-mass bins) against its chance level, maximum calibration error,
  Brier score, log loss and the reliability diagram's bins, with a sentence
  in plain words.
- Recalibrators (:class:`PlattCalibrator`, :class:`IsotonicCalibrator`,
  :class:`TemperatureCalibrator`) and :func:`fit_calibrator`, which picks
  one by cross-validated log loss and never one worse than none.
- :class:`CalibratedModel`: a fitted classifier with a calibrator on its
  probabilities, registrable and loadable without trusting extra code.

Numerics only: recalibrating a registered version and registering the result
is a service, :func:`driftline.evaluation.calibrate`.
"""

from driftline.calibration._calibrators import (
    Calibrator,
    IdentityCalibrator,
    IsotonicCalibrator,
    PlattCalibrator,
    TemperatureCalibrator,
)
from driftline.calibration._model import CalibratedModel
from driftline.calibration._report import CalibrationReport, ReliabilityBin, calibration_report
from driftline.calibration._result import CalibrationResult
from driftline.calibration._select import METHODS as CALIBRATION_METHODS
from driftline.calibration._select import fit_calibrator

__all__ = [
    "CALIBRATION_METHODS",
    "CalibratedModel",
    "CalibrationReport",
    "CalibrationResult",
    "Calibrator",
    "IdentityCalibrator",
    "IsotonicCalibrator",
    "PlattCalibrator",
    "ReliabilityBin",
    "TemperatureCalibrator",
    "calibration_report",
    "fit_calibrator",
]
