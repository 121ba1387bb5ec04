"""The clouds an app is built with. `app.py` and `cli.py` hand `DEFAULT_CLOUDS` down; a test or
a deployment may hand a registry with a cloud of its own (`Clouds.with_cloud`), with no edit
under `gateway/`. Nothing below the app imports this module."""

from __future__ import annotations

from gateway.clouds.base import Clouds
from gateway.clouds.datazone.cloud import DATAZONE
from gateway.clouds.healthomics.cloud import HEALTHOMICS
from gateway.clouds.tencent.cloud import TENCENT_OMICS

DEFAULT_CLOUDS = Clouds(HEALTHOMICS, TENCENT_OMICS, DATAZONE)
