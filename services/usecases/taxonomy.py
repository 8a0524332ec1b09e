"""Closed vocabularies of AI use cases: problem types and techniques with Korean and English names."""

from __future__ import annotations

from enum import StrEnum


class ProblemType(StrEnum):
    QUALITY_INSPECTION = "quality_inspection"
    PREDICTIVE_MAINTENANCE = "predictive_maintenance"
    PROCESS_OPTIMIZATION = "process_optimization"
    ENERGY_OPTIMIZATION = "energy_optimization"
    PRODUCTION_SCHEDULING = "production_scheduling"
    DEMAND_FORECASTING = "demand_forecasting"
    SAFETY_MONITORING = "safety_monitoring"
    LOGISTICS_OPTIMIZATION = "logistics_optimization"


class Technique(StrEnum):
    COMPUTER_VISION_CNN = "computer_vision_cnn"
    ANOMALY_DETECTION = "anomaly_detection"
    GRADIENT_BOOSTING = "gradient_boosting"
    TIME_SERIES_FORECASTING = "time_series_forecasting"
    OPTIMIZATION_SOLVER = "optimization_solver"
    REINFORCEMENT_LEARNING = "reinforcement_learning"
    LARGE_LANGUAGE_MODEL = "large_language_model"
    DIGITAL_TWIN_SIMULATION = "digital_twin_simulation"


PROBLEM_NAMES: dict[ProblemType, tuple[str, str]] = {
    ProblemType.QUALITY_INSPECTION: ("품질 검사", "Quality inspection"),
    ProblemType.PREDICTIVE_MAINTENANCE: ("예지 보전", "Predictive maintenance"),
    ProblemType.PROCESS_OPTIMIZATION: ("공정 최적화", "Process optimisation"),
    ProblemType.ENERGY_OPTIMIZATION: ("에너지 최적화", "Energy optimisation"),
    ProblemType.PRODUCTION_SCHEDULING: ("생산 계획", "Production scheduling"),
    ProblemType.DEMAND_FORECASTING: ("수요 예측", "Demand forecasting"),
    ProblemType.SAFETY_MONITORING: ("안전 관리", "Safety monitoring"),
    ProblemType.LOGISTICS_OPTIMIZATION: ("물류 최적화", "Logistics optimisation"),
}

TECHNIQUE_NAMES: dict[Technique, tuple[str, str]] = {
    Technique.COMPUTER_VISION_CNN: ("영상 인식(CNN)", "Computer vision (CNN)"),
    Technique.ANOMALY_DETECTION: ("이상 탐지", "Anomaly detection"),
    Technique.GRADIENT_BOOSTING: ("그래디언트 부스팅", "Gradient boosting"),
    Technique.TIME_SERIES_FORECASTING: ("시계열 예측", "Time-series forecasting"),
    Technique.OPTIMIZATION_SOLVER: ("최적화 솔버", "Optimisation solver"),
    Technique.REINFORCEMENT_LEARNING: ("강화 학습", "Reinforcement learning"),
    Technique.LARGE_LANGUAGE_MODEL: ("대규모 언어 모델", "Large language model"),
    Technique.DIGITAL_TWIN_SIMULATION: ("디지털 트윈 시뮬레이션", "Digital-twin simulation"),
}
