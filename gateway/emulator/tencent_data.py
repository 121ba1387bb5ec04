"""Deterministic Tencent Cloud Omics data (placeholder; being fleshed out)."""

from __future__ import annotations

from typing import Any

from gateway.emulator.clock import SimClock


class TencentData:
    """Ground truth for the Tencent Omics emulator, generated from a seed."""

    def __init__(self, seed: int, scale: str, clock: SimClock) -> None:
        self.seed = seed
        self.scale = scale
        self.clock = clock

    def dataset_summary(self) -> dict[str, Any]:
        return {"ap-guangzhou": {"projects": {}, "defaultProject": ""}}
