"""deploy/ agrees with itself and with the app: ports, names, paths, images, env vars, config."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from pydantic import BaseModel
from starlette.routing import Route

from gateway.app import create_app
from gateway.cli import build_parser
from gateway.config import Settings, load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _k8s() -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in _docs(path):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


K8S = _k8s()
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _dockerfile() -> list[tuple[str, str]]:
    lines = []
    for raw in (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ").splitlines():
        raw = raw.strip()
        if raw and not raw.startswith("#"):
            instr, _, rest = raw.partition(" ")
            lines.append((instr.upper(), rest.strip()))
    return lines


def _cmd(value: str) -> list[str]:
    return list(yaml.safe_load(value)) if value.startswith("[") else shlex.split(value)


def _serve_args(argv: list[str]) -> Any:
    assert argv[0] == "gateway"
    return build_parser().parse_args(argv[1:])


def _setting(env_name: str) -> Any:
    """The config field an env var sets (`GATEWAY_CACHE__URL` → cache.url), or fail."""
    assert env_name.startswith("GATEWAY_")
    model: Any = Settings
    path = env_name.removeprefix("GATEWAY_").lower().split("__")
    for part in path:
        assert isinstance(model, type) and issubclass(model, BaseModel), env_name
        assert part in model.model_fields, f"{env_name}: no config key {part!r}"
        model = model.model_fields[part].annotation
    return model


def _gateway_container() -> dict[str, Any]:
    deployment = K8S[("Deployment", "runs-gateway")]
    container: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


def _app_paths() -> set[str]:
    app = create_app(load_settings(None))
    return {r.path for r in app.routes if isinstance(r, Route)}


# -- Dockerfile ----------------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_and_unprivileged() -> None:
    lines = _dockerfile()
    stages = [rest for instr, rest in lines if instr == "FROM"]
    assert len(stages) >= 2
    assert any(instr == "COPY" and rest.startswith("--from=") for instr, rest in lines)
    users = [rest for instr, rest in lines if instr == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    cmd = _serve_args(_cmd(next(rest for instr, rest in lines if instr == "CMD")))
    expose = {int(rest) for instr, rest in lines if instr == "EXPOSE"}
    assert cmd.port in expose


def test_image_sources_exist() -> None:
    root = DEPLOY.parent
    for instr, rest in _dockerfile():
        if instr == "COPY" and not rest.startswith("--from="):
            for src in rest.split()[:-1]:
                assert (root / src).exists(), src


# -- Kubernetes ----------------------------------------------------------------------------------


def test_service_selects_the_deployment_on_its_port() -> None:
    deployment = K8S[("Deployment", "runs-gateway")]
    service = K8S[("Service", "runs-gateway")]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    ports = {p["name"]: p["containerPort"] for p in _gateway_container()["ports"]}
    for port in service["spec"]["ports"]:
        assert port["targetPort"] in ports or port["targetPort"] in ports.values()


def test_container_serves_the_mounted_config_on_the_declared_port() -> None:
    container = _gateway_container()
    args = _serve_args(container["args"])
    assert args.port in {p["containerPort"] for p in container["ports"]}
    assert container["image"] == COMPOSE["services"]["gateway-1"]["image"]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
    volume = next(
        v
        for v in K8S[("Deployment", "runs-gateway")]["spec"]["template"]["spec"]["volumes"]
        if v["name"] == "config"
    )
    config_map = K8S[("ConfigMap", volume["configMap"]["name"])]
    config_path = Path(args.config)
    assert str(config_path.parent) == mount["mountPath"]
    assert config_path.name in config_map["data"]


def test_probes_hit_paths_the_app_serves() -> None:
    container = _gateway_container()
    paths = _app_paths()
    ports = {p["name"] for p in container["ports"]} | {
        p["containerPort"] for p in container["ports"]
    }
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] in paths
        assert get["port"] in ports


def test_env_vars_name_config_keys_and_redis_is_reachable() -> None:
    container = _gateway_container()
    env = {e["name"]: e for e in container["env"]}
    for name in env:
        if name.startswith("GATEWAY_"):
            _setting(name)
    url = urlparse(env["GATEWAY_CACHE__URL"]["value"])
    redis_service = K8S[("Service", url.hostname or "")]
    assert url.port in {p["port"] for p in redis_service["spec"]["ports"]}
    redis_deployment = K8S[("Deployment", url.hostname or "")]
    pod = redis_deployment["spec"]["template"]
    assert redis_service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    redis_ports = {p["name"]: p["containerPort"] for p in pod["spec"]["containers"][0]["ports"]}
    for port in redis_service["spec"]["ports"]:
        assert port["targetPort"] in redis_ports


def test_the_catalogue_url_comes_from_a_mounted_secret_and_postgres_is_served() -> None:
    container = _gateway_container()
    env = {e["name"]: e.get("value") for e in container["env"]}
    path = Path(env["GATEWAY_CATALOG__URL_FILE"])
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == str(path.parent))
    pod = K8S[("Deployment", "runs-gateway")]["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert "secret" in volume
    service = K8S[("Service", "runs-gateway-postgres")]
    postgres = K8S[("StatefulSet", "runs-gateway-postgres")]["spec"]["template"]
    assert service["spec"]["selector"].items() <= postgres["metadata"]["labels"].items()


def test_hpa_scales_the_deployment() -> None:
    hpa = K8S[("HorizontalPodAutoscaler", "runs-gateway")]
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) in K8S
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    resources = _gateway_container()["resources"]["requests"]
    assert "cpu" in resources, "CPU utilisation needs a CPU request"


@pytest.mark.parametrize(
    "toml",
    [
        pytest.param(
            lambda: K8S[("ConfigMap", "runs-gateway-config")]["data"]["gateway.toml"], id="k8s"
        ),
        pytest.param(lambda: (DEPLOY / "gateway.compose.toml").read_text(), id="compose"),
    ],
)
def test_shipped_configs_load(toml: Any, tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(toml())
    settings = load_settings(path)
    assert settings.sources


# -- compose -------------------------------------------------------------------------------------


def test_compose_runs_two_gateways_on_one_redis_before_the_emulator() -> None:
    services = COMPOSE["services"]
    gateways = [s for name, s in services.items() if name.startswith("gateway-")]
    assert len(gateways) == 2
    emulator = _serve_args(services["emulator"]["command"])
    assert emulator.func.__name__ == "emulator"
    config = load_settings(DEPLOY / "gateway.compose.toml")
    upstream = urlparse(config.sources[0].endpoint_url or "")
    assert upstream.hostname == "emulator" and upstream.port == emulator.port
    assert str(emulator.port) in {str(p) for p in services["emulator"].get("expose", [])}
    for gw in gateways:
        args = _serve_args(gw["command"])
        src, dst = gw["volumes"][0].removesuffix(":ro").split(":")
        assert (DEPLOY / src).resolve() == (DEPLOY / "gateway.compose.toml").resolve()
        assert dst == args.config
        assert any(p.endswith(f":{args.port}") for p in gw["ports"])
        assert set(gw["depends_on"]) == {"redis", "emulator", "postgres"}
        catalog_url = urlparse(gw["environment"]["GATEWAY_CATALOG__URL"])
        assert catalog_url.hostname in services
        assert str(catalog_url.port) in {str(p) for p in services["postgres"]["expose"]}
        assert gw["image"] == services["emulator"]["image"]
        for name in gw["environment"]:
            if name.startswith("GATEWAY_"):
                _setting(name)
        redis_url = urlparse(gw["environment"]["GATEWAY_CACHE__URL"])
        assert redis_url.hostname in services
        assert str(redis_url.port) in {str(p) for p in services["redis"]["expose"]}
