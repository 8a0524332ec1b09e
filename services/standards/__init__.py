"""제조데이터 표준: equipment data models, their versions, validation and exports."""
