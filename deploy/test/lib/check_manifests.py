#!/usr/bin/env python3
"""Souk's own rules for its deployment files, beyond what the schemas can say.

    check_manifests.py k8s RENDERED.yaml [--config-dir config]
    check_manifests.py compose deploy/compose.yaml [--config-dir config]

Kubernetes (a `kubectl kustomize` rendering):
  - every pod has enableServiceLinks: false (a Service named souk would inject SOUK_PORT...,
    which souk refuses) and no service account token;
  - every SOUK_ variable a souk container gets (env, and the ConfigMaps of envFrom) is a key of
    config/default.toml: souk refuses unknown ones at start-up;
  - terminationGracePeriodSeconds > preStop pause + shutdown.drain_ms + shutdown.grace_ms (the
    values in force: the ConfigMap's, else config/production.toml's, else config/default.toml's);
  - with an app.kubernetes.io/version label (a release): the migration Job is named
    souk-migrate-<version> and every souk container runs the image tagged <version>;
  - SOUK_LABELS__BASE_URL's host is a TLS host of the Ingress, routing /01, /p, /verify and
    /.well-known; the migration Job has the same label domain.
Compose: the SOUK_ names of the souk services, and stop_grace_period > drain + grace.
Exit status 1 when a rule is broken.
"""

import argparse
import os
import re
import sys
import tomllib
from urllib.parse import urlparse

import yaml

# What souk reads itself besides the configuration keys (crates/gateway/src/config.rs).
SOUK_OWN = {"SOUK_ENV", "SOUK_CONFIG_DIR"}
LABEL_PATHS = ["/01", "/p", "/verify", "/.well-known"]

problems = []


def ok(message):
    print(f"ok   {message}")


def fail(message):
    problems.append(message)
    print(f"FAIL {message}")


def load_config(config_dir):
    with open(os.path.join(config_dir, "default.toml"), "rb") as f:
        default = tomllib.load(f)
    production = {}
    path = os.path.join(config_dir, "production.toml")
    if os.path.exists(path):
        with open(path, "rb") as f:
            production = tomllib.load(f)
    return default, production


def env_names(table, prefix="SOUK_"):
    """SOUK_<KEY> for top-level keys, SOUK_<SECTION>__<KEY> below (figment's split on "__")."""
    names = set()
    for key, value in table.items():
        name = prefix + key.upper()
        names.add(name)
        if isinstance(value, dict):
            names |= env_names(value, name + "__")
    return names


def shutdown_ms(default, production, overrides, key):
    env = f"SOUK_SHUTDOWN__{key.upper()}"
    if env in overrides:
        return int(overrides[env]), f"{env}={overrides[env]}"
    for name, config in (("production.toml", production), ("default.toml", default)):
        value = config.get("shutdown", {}).get(key)
        if value is not None:
            return int(value), f"config/{name} shutdown.{key} = {value}"
    fail(f"shutdown.{key} is in neither config/production.toml nor config/default.toml")
    return 0, "missing"


def check_env_names(where, names, known):
    unknown = sorted(n for n in names if n.upper().startswith("SOUK_") and n.upper() not in known)
    if unknown:
        fail(f"{where}: SOUK_ names that are not settings of config/default.toml: {', '.join(unknown)}")
    else:
        souk = sorted(n for n in names if n.upper().startswith("SOUK_"))
        ok(f"{where}: {len(souk)} SOUK_ name(s), all settings souk knows")


def image_tag(image):
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def pod_templates(objects):
    for obj in objects:
        kind = obj.get("kind")
        spec = obj.get("spec") or {}
        if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
            yield obj, (spec.get("template") or {}).get("spec") or {}
        elif kind == "CronJob":
            yield obj, spec["jobTemplate"]["spec"]["template"]["spec"]
        elif kind == "Pod":
            yield obj, spec


def name_of(obj):
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def check_k8s(path, config_dir):
    with open(path, encoding="utf-8") as f:
        objects = [o for o in yaml.safe_load_all(f) if o]
    default, production = load_config(config_dir)
    known = env_names(default) | SOUK_OWN
    configmaps = {
        o["metadata"]["name"]: o.get("data") or {} for o in objects if o.get("kind") == "ConfigMap"
    }
    deployment = next(
        (o for o in objects if o.get("kind") == "Deployment" and o["metadata"]["name"] == "souk"),
        None,
    )
    if deployment is None:
        fail(f"{path}: no Deployment souk")
        return
    version = (deployment["metadata"].get("labels") or {}).get("app.kubernetes.io/version")

    config_env = {}
    for obj, pod in pod_templates(objects):
        where = name_of(obj)
        if pod.get("enableServiceLinks") is not False:
            fail(f"{where}: enableServiceLinks must be false (SOUK_PORT... would stop souk)")
        else:
            ok(f"{where}: enableServiceLinks false")
        if pod.get("automountServiceAccountToken") is not False:
            fail(f"{where}: automountServiceAccountToken should be false (souk never calls the API)")
        names = set()
        for container in (pod.get("initContainers") or []) + (pod.get("containers") or []):
            for env in container.get("env") or []:
                names.add(env["name"])
            for source in container.get("envFrom") or []:
                ref = source.get("configMapRef")
                if ref:
                    data = configmaps.get(ref["name"])
                    if data is None:
                        fail(f"{where}: envFrom ConfigMap {ref['name']} is not in the rendering")
                        continue
                    names |= {source.get("prefix", "") + k for k in data}
                    if obj is deployment:
                        config_env.update(data)
                if source.get("secretRef"):
                    fail(f"{where}: envFrom a Secret: name the keys (secretKeyRef) so no stray SOUK_ name gets in")
            if version is not None:
                tag = image_tag(container.get("image", ""))
                if tag != version:
                    fail(f"{where}: container {container['name']} runs {container.get('image')}, not the release {version}")
        check_env_names(where, names, known)

    # The shutdown chain.
    pod = deployment["spec"]["template"]["spec"]
    grace_period = pod.get("terminationGracePeriodSeconds", 30)
    souk = next(c for c in pod["containers"] if c["name"] == "souk")
    pre_stop = ((souk.get("lifecycle") or {}).get("preStop")) or {}
    pause = 0
    if "sleep" in pre_stop:
        pause = int(pre_stop["sleep"]["seconds"])
    elif "exec" in pre_stop:
        command = pre_stop["exec"].get("command") or []
        if len(command) == 2 and command[0].endswith("sleep"):
            pause = int(command[1])
    drain, drain_from = shutdown_ms(default, production, config_env, "drain_ms")
    grace, grace_from = shutdown_ms(default, production, config_env, "grace_ms")
    needed = pause + (drain + grace) / 1000
    chain = f"preStop {pause} s + drain {drain} ms ({drain_from}) + grace {grace} ms ({grace_from}) = {needed:g} s"
    if grace_period > needed:
        ok(f"Deployment/souk: terminationGracePeriodSeconds {grace_period} > {chain}")
    else:
        fail(f"Deployment/souk: terminationGracePeriodSeconds {grace_period} must exceed {chain}")

    # The release: the migration Job's name and image.
    jobs = [
        o
        for o in objects
        if o.get("kind") == "Job"
        and (o["metadata"].get("labels") or {}).get("app.kubernetes.io/component") == "migration"
    ]
    if not jobs:
        fail(f"{path}: no migration Job (app.kubernetes.io/component: migration)")
    for job in jobs:
        name = job["metadata"]["name"]
        if len(name) > 63 or not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", name):
            fail(f"Job/{name}: not a valid Job name (lowercase letters, digits, '-', '.'; 63 at most)")
        if version is None:
            ok(f"Job/{name}: no release label here (a base); overlays name it souk-migrate-<release>")
        elif name != f"souk-migrate-{version}":
            fail(f"Job/{name}: the release is {version}: the Job must be souk-migrate-{version}")
        else:
            ok(f"Job/{name}: named after the release {version}, which every souk container runs")

    # The label domain.
    base_url = config_env.get("SOUK_LABELS__BASE_URL")
    if not base_url:
        fail("Deployment/souk: no SOUK_LABELS__BASE_URL in its ConfigMap (production refuses to start)")
        return
    host = urlparse(base_url).hostname
    ingresses = [o for o in objects if o.get("kind") == "Ingress"]
    tls_hosts = {h for i in ingresses for t in i["spec"].get("tls") or [] for h in t.get("hosts") or []}
    routed = {
        rule.get("host"): {p["path"] for p in (rule.get("http") or {}).get("paths") or []}
        for i in ingresses
        for rule in i["spec"].get("rules") or []
    }
    if not base_url.startswith("https://"):
        fail(f"SOUK_LABELS__BASE_URL {base_url}: production labels need https://")
    if host not in tls_hosts:
        fail(f"SOUK_LABELS__BASE_URL host {host} is not a TLS host of the Ingress ({', '.join(sorted(tls_hosts))})")
    missing = [p for p in LABEL_PATHS if p not in routed.get(host, set())]
    if missing:
        fail(f"Ingress: the label host {host} does not route {', '.join(missing)}")
    if host in tls_hosts and not missing:
        ok(f"Ingress: label host {host} (SOUK_LABELS__BASE_URL) has TLS and routes {', '.join(LABEL_PATHS)}")
    for job in jobs:
        values = {
            e.get("value")
            for c in (job["spec"]["template"]["spec"].get("initContainers") or [])
            + job["spec"]["template"]["spec"]["containers"]
            for e in c.get("env") or []
            if e["name"] == "SOUK_LABELS__BASE_URL"
        }
        if values != {base_url}:
            fail(f"Job/{job['metadata']['name']}: SOUK_LABELS__BASE_URL {sorted(values)} differs from the ConfigMap's {base_url}")


def seconds(duration):
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)", str(duration)):
        total += float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}[unit]
    return total


def check_compose(path, config_dir):
    with open(path, encoding="utf-8") as f:
        document = yaml.safe_load(f)
    default, production = load_config(config_dir)
    known = env_names(default) | SOUK_OWN
    services = document.get("services") or {}
    souk_services = {
        name: s
        for name, s in services.items()
        if str((s.get("build") or {}).get("dockerfile", "")).endswith("deploy/Dockerfile")
    }
    if "souk" not in souk_services:
        fail(f"{path}: no service souk built from deploy/Dockerfile")
        return
    for name, service in souk_services.items():
        env = service.get("environment") or {}
        names = set(env) if isinstance(env, dict) else {e.split("=", 1)[0] for e in env}
        check_env_names(f"{path}: service {name}", names, known)
    souk = souk_services["souk"]
    env = souk.get("environment") or {}
    if not isinstance(env, dict):
        env = dict(e.split("=", 1) for e in env if "=" in e)
    drain, drain_from = shutdown_ms(default, production, env, "drain_ms")
    grace, grace_from = shutdown_ms(default, production, env, "grace_ms")
    stop = seconds(souk.get("stop_grace_period", "10s"))
    chain = f"drain {drain} ms ({drain_from}) + grace {grace} ms ({grace_from})"
    if stop > (drain + grace) / 1000:
        ok(f"{path}: service souk stop_grace_period {stop:g} s > {chain}")
    else:
        fail(f"{path}: service souk stop_grace_period {stop:g} s must exceed {chain}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["k8s", "compose"])
    parser.add_argument("file")
    parser.add_argument("--config-dir", default="config")
    args = parser.parse_args()
    if args.mode == "k8s":
        check_k8s(args.file, args.config_dir)
    else:
        check_compose(args.file, args.config_dir)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
