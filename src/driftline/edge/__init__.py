"""Edge and cost: bundles that run without driftline, their traffic brought back, cheaper models.

- :func:`export` writes a version as a folder (ONNX model, signature, a runner
  needing only onnxruntime and numpy, a README), optionally quantized, and
  refuses a form that agrees with the original on too few rows;
- :func:`ingest` brings the runner's prediction logs into the inference log
  (route ``edge``), each prediction once;
- :func:`distill` trains a smaller student on a version's answers and
  registers it with the teacher as its parent;
- :func:`bench` measures latency, throughput and agreement per runtime and
  batch size.
"""

from driftline.edge._bench import BATCH_SIZES, BenchReport, RuntimeBench, bench
from driftline.edge._distill import STUDENTS, DistillReport, distill
from driftline.edge._export import DEFAULT_MIN_AGREEMENT, export
from driftline.edge._ingest import ROUTE, IngestReport, ingest
from driftline.edge._measure import Agreement, Timing
from driftline.edge._report import ExportReport, FormReport
from driftline.edge._words import share

__all__ = [
    "BATCH_SIZES",
    "DEFAULT_MIN_AGREEMENT",
    "ROUTE",
    "STUDENTS",
    "Agreement",
    "BenchReport",
    "DistillReport",
    "ExportReport",
    "FormReport",
    "IngestReport",
    "RuntimeBench",
    "Timing",
    "bench",
    "distill",
    "export",
    "ingest",
    "share",
]
