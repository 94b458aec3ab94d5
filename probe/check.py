"""`probe check`: a regression gate that compares a candidate run with a baseline run.

Every gate is a one-sided hypothesis test whose null hypothesis is that the candidate is
within the gate's limit. A gate fails only when the data reject that hypothesis at its
significance level and the observed figure is past the limit. Holm's step-down procedure
splits the significance among the gates (S. Holm (1979), "A simple sequentially rejective
multiple test procedure", Scandinavian Journal of Statistics 6, 65–70). So two runs of the
same model fail a check by chance with a probability of about the significance at most;
"about", because bootstrap p-values are approximate.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np

from probe import paired
from probe.errors import ConfigError, ProbeError
from probe.gates import Gate, GateFile
from probe.prompts import format_number
from probe.run_data import RunData

Status = Literal["pass", "fail", "untested"]


@dataclass(frozen=True)
class GateResult:
    """The outcome of one gate, with the figures it rests on.

    For a relative gate (max_rise, max_fall) the interval is the 95% interval of the change
    candidate − baseline. For an absolute one (min, max) it is that of the candidate.
    """

    gate: Gate
    status: Status
    baseline: float | None
    candidate: float | None
    interval: tuple[float, float] | None
    p_value: float | None
    level: float | None
    test: str
    reason: str

    @property
    def change(self) -> float | None:
        if self.baseline is None or self.candidate is None:
            return None
        return self.candidate - self.baseline


@dataclass(frozen=True)
class RunReference:
    """A compared run: its folder, id, model, start time and question set."""

    path: str
    run_id: str
    model: str
    started_at: str
    question_set: str
    question_set_sha256: str

    @classmethod
    def of(cls, run: RunData) -> "RunReference":
        return cls(
            path=str(run.store.run_dir),
            run_id=run.run_id,
            model=run.model,
            started_at=run.started_at,
            question_set=str(run.summary.question_set.get("name", "")),
            question_set_sha256=run.question_set_sha256,
        )


@dataclass(frozen=True)
class CheckResult:
    baseline: RunReference
    candidate: RunReference
    settings: GateFile
    warnings: tuple[str, ...]
    gates: tuple[GateResult, ...]

    @property
    def failed(self) -> tuple[GateResult, ...]:
        return tuple(result for result in self.gates if result.status == "fail")

    @property
    def passed(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class _Tested:
    """A gate's figures before the significance levels are assigned."""

    gate: Gate
    baseline: float | None
    candidate: float | None
    interval: tuple[float, float] | None
    p_value: float | None
    beyond_limit: bool
    test: str
    untested_reason: str | None


def check_runs(baseline: RunData, candidate: RunData, settings: GateFile) -> CheckResult:
    """Test every gate of `settings` on the candidate run against the baseline run.

    Raises ConfigError when a gate's threshold is missing from either run, and ProbeError
    when the runs share no sample key at a gate's threshold.
    """
    _check_thresholds(baseline, candidate, settings)
    # Not logged, because the warnings travel in the result, which the CLI prints and
    # check.json keeps.
    warnings = _warnings(baseline, candidate)

    tested = [_test_gate(gate, baseline, candidate, settings) for gate in settings.gates]
    levels = _levels(tested, settings)
    results = tuple(_result(item, level) for item, level in zip(tested, levels, strict=True))
    return CheckResult(
        baseline=RunReference.of(baseline),
        candidate=RunReference.of(candidate),
        settings=settings,
        warnings=tuple(warnings),
        gates=results,
    )


def shared_thresholds(baseline: RunData, candidate: RunData) -> list[float]:
    return sorted(set(baseline.thresholds) & set(candidate.thresholds))


def _test_gate(gate: Gate, baseline: RunData, candidate: RunData, settings: GateFile) -> _Tested:
    if gate.test == "mcnemar":
        return _mcnemar(gate, baseline, candidate)
    counts = paired.pair_counts(baseline.records, candidate.records, gate.threshold)
    if counts.keys == 0:
        raise ProbeError(
            f"{baseline.store.run_dir} and {candidate.store.run_dir} share no sample key at "
            f"t = {format_number(gate.threshold)}, so gate {gate.describe()!r} cannot be tested. "
            "Compare runs of the same question set."
        )
    draws = paired.paired_bootstrap(
        counts, gate.metric, draws=settings.bootstrap_draws, seed=settings.seed
    )
    return _bootstrap(gate, draws, len(counts.question_ids))


def _bootstrap(gate: Gate, draws: paired.PairedBootstrap, questions: int) -> _Tested:
    test = f"paired bootstrap over {questions} questions"
    values = draws.difference_draws if gate.is_relative else draws.candidate_draws
    observed = draws.difference if gate.is_relative else draws.candidate
    if observed is None:
        return _untested(gate, draws, test)

    defined = values[~np.isnan(values)]
    # One-sided bootstrap p-value: the share of resamples on the allowed side of the limit,
    # counted with one more draw so that it is never 0.
    allowed = _allowed_side(gate, defined)
    p_value = (1 + int(allowed.sum())) / (1 + defined.size)
    return _Tested(
        gate=gate,
        baseline=draws.baseline,
        candidate=draws.candidate,
        interval=paired.percentile_interval(values),
        p_value=p_value,
        beyond_limit=not bool(_allowed_side(gate, np.array([observed]))[0]),
        test=test,
        untested_reason=None,
    )


def _allowed_side(gate: Gate, values: paired.FloatArray) -> paired.BoolArray:
    limit = gate.limit
    if gate.limit_kind == "max_rise":
        return values <= limit
    if gate.limit_kind == "max_fall":
        return values >= -limit
    if gate.limit_kind == "min":
        return values >= limit
    return values <= limit


def _untested(gate: Gate, draws: paired.PairedBootstrap, test: str) -> _Tested:
    missing = [
        name
        for name, value in (("baseline", draws.baseline), ("candidate", draws.candidate))
        if value is None
    ]
    reason = (
        f"{gate.metric} is undefined in the {' and the '.join(missing)} run at "
        f"t = {format_number(gate.threshold)}"
        + (" (no answers)" if gate.metric == "precision" else " (no valid samples)")
    )
    return _Tested(gate, draws.baseline, draws.candidate, None, None, False, test, reason)


def _mcnemar(gate: Gate, baseline: RunData, candidate: RunData) -> _Tested:
    counts = paired.mcnemar_counts(baseline.records, candidate.records, gate.threshold, gate.metric)
    test = f"exact McNemar test over {counts.pairs} sample pairs"
    change = counts.change
    if change is None:
        reason = f"no sample pairs at t = {format_number(gate.threshold)} to compare"
        return _Tested(gate, None, None, None, None, False, test, reason)

    rising = gate.limit_kind == "max_rise"
    toward, away = (counts.gained, counts.lost) if rising else (counts.lost, counts.gained)
    beyond = change > gate.limit if rising else change < -gate.limit
    return _Tested(
        gate=gate,
        baseline=counts.baseline_share,
        candidate=counts.candidate_share,
        interval=None,
        p_value=paired.mcnemar_p_value(toward, away),
        beyond_limit=beyond,
        test=f"{test} ({counts.gained} gained, {counts.lost} lost)",
        untested_reason=None,
    )


def _levels(tested: list[_Tested], settings: GateFile) -> list[tuple[float, bool] | None]:
    """Give each tested gate its significance level and whether its null hypothesis is rejected.

    Holm's procedure compares the i-th smallest of m p-values with significance / (m − i + 1)
    and stops rejecting at the first p-value that is not below its level.
    """
    levels: list[tuple[float, bool] | None] = [None] * len(tested)
    order = sorted(
        (index for index, item in enumerate(tested) if item.p_value is not None),
        key=lambda index: tested[index].p_value or 0.0,
    )
    rejecting = True
    for rank, index in enumerate(order):
        level = settings.significance
        if settings.correction == "holm":
            level /= len(order) - rank
        rejected = (tested[index].p_value or 0.0) < level
        if settings.correction == "holm":
            rejecting = rejecting and rejected
            rejected = rejecting
        levels[index] = (level, rejected)
    return levels


def _result(item: _Tested, level: tuple[float, bool] | None) -> GateResult:
    if item.untested_reason is not None or item.p_value is None or level is None:
        return GateResult(
            item.gate, "untested", item.baseline, item.candidate, None, None, None, item.test,
            f"not tested: {item.untested_reason}",
        )  # fmt: skip
    significance, rejected = level
    failed = rejected and item.beyond_limit
    return GateResult(
        gate=item.gate,
        status="fail" if failed else "pass",
        baseline=item.baseline,
        candidate=item.candidate,
        interval=item.interval,
        p_value=item.p_value,
        level=significance,
        test=item.test,
        reason=_reason(item, significance, failed),
    )


def _reason(item: _Tested, level: float, failed: bool) -> str:
    p = f"p = {item.p_value:.2g}"
    if failed:
        return f"{p} < {level:.2g}: past the limit by more than noise explains"
    if not item.beyond_limit:
        return f"{p}: within the limit"
    if item.p_value is not None and item.p_value < level:
        # Holm's procedure stopped at a gate with a smaller p-value.
        return f"{p} < {level:.2g}, but a gate with a smaller p-value was not rejected"
    return f"{p}, not below {level:.2g}: past the limit, but within what noise explains"


def _check_thresholds(baseline: RunData, candidate: RunData, settings: GateFile) -> None:
    shared = shared_thresholds(baseline, candidate)
    for number, gate in enumerate(settings.gates, start=1):
        if gate.threshold not in shared:
            listed = ", ".join(format_number(t) for t in shared) or "none"
            raise ConfigError(
                f"gate {number} ({gate.describe()}): t = {format_number(gate.threshold)} is not "
                f"a threshold of both runs. Thresholds in both runs: {listed}."
            )


def _warnings(baseline: RunData, candidate: RunData) -> list[str]:
    warnings = []
    if baseline.question_set_sha256 != candidate.question_set_sha256:
        warnings.append(
            "The runs used different question-set files (sha256 "
            f"{baseline.question_set_sha256[:12]}… and {candidate.question_set_sha256[:12]}…); "
            "samples are paired by question id, which may now name a different question."
        )
    if baseline.model != candidate.model:
        warnings.append(
            f"The runs probed different models ({baseline.model} and {candidate.model})."
        )
    return warnings
