#!/usr/bin/env python3
"""Offline checks of deploy/: the Dockerfile and every kustomize overlay, rendered.

    python3 scripts/lib/validate_deploy.py [--root DIR] [--kubectl PATH | --debian-kubectl CACHE]

Renders deploy/k8s/overlays/* (and base, infra, observability on their own) with
`kubectl kustomize` (KUBECTL or --kubectl, else kubectl on PATH; written for Debian's
kubernetes-client, kubectl 1.20 with kustomize v2) and checks every rendered object:
known kind/apiVersion, no unknown top-level fields (or spec fields) in the kinds we generate,
and for every pod template: liveness/readiness/startup probes, non-root, read-only root
filesystem, no privilege escalation, capabilities drop ALL, RuntimeDefault seccomp,
resources, pinned image tags; for the Stellenwerk Deployments also the termination grace
against STELLENWERK_SHUTDOWN_GRACE and the preStop sleep, secrets only by reference, and
native gRPC probes (HTTP GET on a shallow path for the gateway, not the deep /healthz); the set of Stellenwerk Deployments is
read from the rendered base. The gateway: an Ingress with TLS routing only to it, a
proxy-body-size not below its upload limit, and every service's gRPC port admitting it in a
NetworkPolicy. Every rendered object is also validated against its kind's API schema,
strictly (unknown fields at any depth fail), by deploy/schema/check.js (ADR 0047); the
checker must reject a list of known-bad edits on every run. The NetworkPolicies of the data
namespace (stellenwerk-data) are evaluated over the pods the rendering runs (also the ones the
operators create): default deny, each Stellenwerk workload admitted to exactly the
dependencies its settings name and its egress meeting an ingress rule there, the operators'
and monitoring namespaces admitted (each from one overlay-patchable policy, proved by
rendering a temporary overlay that moves them), the dependencies' own pods reaching each
other, nobody else. PostgreSQL sits behind a CloudNativePG Pooler in session mode whose
limits fit the client connections at the HPA maxima and the Cluster's max_connections
(ADR 0049). NETWORK_MUTATIONS are known-bad edits these checks must reject. Redis AUTH
(ADR 0053): the Redis pods' init script, run with stand-ins for hostname and redis-cli, must
write requirepass, masterauth and the Sentinels' requirepass and auth-pass from Secret
stellenwerk-redis-auth, and their probes must authenticate; every workload that uses Redis
must get its passwords from that Secret (REDIS_AUTH_MUTATIONS must be rejected). Then the
Dockerfile (a hadolint-like subset): pinned base tags, no
`latest`, numeric non-root USER, `--no-install-recommends`, apt lists removed.

Prints one line per failed check and ends with `N passed, N failed`; exits 1 when a check
failed, 2 when the tools are missing (77 = skipped when not under CI=true, so ctest can
report a skip instead of a pass).
"""

import argparse
import contextlib
import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml  # Debian: python3-yaml
except ImportError:  # pragma: no cover
    print("validate_deploy: PyYAML is missing (Debian package python3-yaml)", file=sys.stderr)
    sys.exit(77 if os.environ.get("CI") != "true" else 2)

SKIP = 77

# kind -> accepted apiVersions
KNOWN_KINDS = {
    "Namespace": {"v1"},
    "ConfigMap": {"v1"},
    "Secret": {"v1"},
    "Service": {"v1"},
    "ServiceAccount": {"v1"},
    "Deployment": {"apps/v1"},
    "StatefulSet": {"apps/v1"},
    "HorizontalPodAutoscaler": {"autoscaling/v2"},
    "PodDisruptionBudget": {"policy/v1"},
    "NetworkPolicy": {"networking.k8s.io/v1"},
    "Ingress": {"networking.k8s.io/v1"},
    "Job": {"batch/v1"},
    "RabbitmqCluster": {"rabbitmq.com/v1beta1"},
    "Policy": {"rabbitmq.com/v1beta1"},
    "User": {"rabbitmq.com/v1beta1"},
    "Permission": {"rabbitmq.com/v1beta1"},
    "Cluster": {"postgresql.cnpg.io/v1"},
    "Pooler": {"postgresql.cnpg.io/v1"},
    "ScheduledBackup": {"postgresql.cnpg.io/v1"},
    "ServiceMonitor": {"monitoring.coreos.com/v1"},
    "PodMonitor": {"monitoring.coreos.com/v1"},
    "PrometheusRule": {"monitoring.coreos.com/v1"},
}

TOP_LEVEL = {
    "Namespace": {"apiVersion", "kind", "metadata", "spec"},
    "ConfigMap": {"apiVersion", "kind", "metadata", "data", "binaryData", "immutable"},
    "Secret": {"apiVersion", "kind", "metadata", "data", "stringData", "type", "immutable"},
    "ServiceAccount": {"apiVersion", "kind", "metadata", "automountServiceAccountToken",
                       "secrets", "imagePullSecrets"},
}
DEFAULT_TOP_LEVEL = {"apiVersion", "kind", "metadata", "spec"}

SPEC_FIELDS = {
    "Deployment": {"replicas", "selector", "template", "strategy", "minReadySeconds",
                   "revisionHistoryLimit", "paused", "progressDeadlineSeconds"},
    "StatefulSet": {"replicas", "selector", "template", "serviceName", "volumeClaimTemplates",
                    "podManagementPolicy", "updateStrategy", "revisionHistoryLimit",
                    "minReadySeconds", "persistentVolumeClaimRetentionPolicy", "ordinals"},
    "Service": {"type", "selector", "ports", "clusterIP", "clusterIPs", "publishNotReadyAddresses",
                "sessionAffinity", "externalTrafficPolicy", "internalTrafficPolicy",
                "ipFamilies", "ipFamilyPolicy", "loadBalancerClass"},
    "HorizontalPodAutoscaler": {"scaleTargetRef", "minReplicas", "maxReplicas", "metrics",
                                "behavior"},
    "PodDisruptionBudget": {"minAvailable", "maxUnavailable", "selector",
                            "unhealthyPodEvictionPolicy"},
    "NetworkPolicy": {"podSelector", "policyTypes", "ingress", "egress"},
    "Ingress": {"ingressClassName", "defaultBackend", "tls", "rules"},
}
POD_SPEC_FIELDS = {
    "containers", "initContainers", "volumes", "serviceAccountName", "automountServiceAccountToken",
    "securityContext", "terminationGracePeriodSeconds", "topologySpreadConstraints", "affinity",
    "nodeSelector", "tolerations", "priorityClassName", "enableServiceLinks", "imagePullSecrets",
    "dnsPolicy", "restartPolicy", "hostname", "subdomain",
}
CONTAINER_FIELDS = {
    "name", "image", "imagePullPolicy", "command", "args", "ports", "env", "envFrom",
    "resources", "securityContext", "volumeMounts", "livenessProbe", "readinessProbe",
    "startupProbe", "lifecycle", "workingDir", "terminationMessagePolicy",
}
FORBIDDEN_HOST_FIELDS = ("hostNetwork", "hostPID", "hostIPC")
# Filled from the rendered base (Deployments labelled app.kubernetes.io/part-of: stellenwerk),
# so a service added to deploy/k8s/base is checked without editing this file.
STELLENWERK_SERVICES = set()
# The HTTP edge: /healthz probes instead of gRPC ones, reached only through the Ingress.
GATEWAY = "gateway"
SECRET_ENV = ("STELLENWERK_PG_URI", "STELLENWERK_AMQP_URI", "STELLENWERK_REDIS_ADDR",
              "STELLENWERK_JWT_HS256_SECRET", "STELLENWERK_REDIS_PASSWORD",
              "STELLENWERK_REDIS_SENTINEL_PASSWORD")


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, where, message):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {where}: {message}")
        return ok


def parse_duration(text):
    """'10s', '500ms', '1m', '1m30s' -> seconds (float); None if unparsable."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text or "")
    if not parts or "".join(a + b for a, b in parts) != text:
        return None
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(a) * scale[b] for a, b in parts)


def image_pinned(image):
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    tag = last.rsplit(":", 1)[1]
    return bool(tag) and tag != "latest"


def pod_template(obj):
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind in ("Deployment", "StatefulSet"):
        return (spec.get("template") or {}).get("spec")
    if kind == "Job":
        return (spec.get("template") or {}).get("spec")
    return None


def check_pod(c, where, obj, pod, configmaps):
    kind, name = obj["kind"], obj["metadata"]["name"]
    for f in pod:
        c.check(f in POD_SPEC_FIELDS, where, f"unknown pod spec field '{f}'")
    for f in FORBIDDEN_HOST_FIELDS:
        c.check(not pod.get(f), where, f"{f} must not be set")
    psc = pod.get("securityContext") or {}
    c.check(psc.get("runAsNonRoot") is True, where, "pod securityContext.runAsNonRoot is not true")
    c.check((psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault", where,
            "pod securityContext.seccompProfile.type is not RuntimeDefault")
    c.check(pod.get("automountServiceAccountToken") is False, where,
            "automountServiceAccountToken is not false")
    ours = kind == "Deployment" and name in STELLENWERK_SERVICES
    containers = pod.get("containers") or []
    c.check(bool(containers), where, "no containers")
    all_containers = [(x, False) for x in pod.get("initContainers") or []] + \
                     [(x, True) for x in containers]
    for ctr, main in all_containers:
        cw = f"{where} container {ctr.get('name')}"
        for f in ctr:
            c.check(f in CONTAINER_FIELDS, cw, f"unknown container field '{f}'")
        image = ctr.get("image", "")
        c.check(image_pinned(image), cw, f"image '{image}' has no pinned tag (untagged or latest)")
        sc = ctr.get("securityContext") or {}
        run_as_root = sc.get("runAsUser", psc.get("runAsUser"))
        c.check((sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True) and run_as_root != 0, cw,
                "does not run as non-root (runAsNonRoot true, runAsUser ≠ 0)")
        c.check(sc.get("readOnlyRootFilesystem") is True, cw, "readOnlyRootFilesystem is not true")
        c.check(sc.get("allowPrivilegeEscalation") is False, cw,
                "allowPrivilegeEscalation is not false")
        c.check(not sc.get("privileged"), cw, "privileged")
        drop = [d.upper() for d in ((sc.get("capabilities") or {}).get("drop") or [])]
        c.check("ALL" in drop, cw, "capabilities.drop does not contain ALL")
        c.check(not (sc.get("capabilities") or {}).get("add"), cw, "capabilities.add is set")
        res = ctr.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        c.check("cpu" in req and "memory" in req, cw, "resources.requests cpu and memory not set")
        c.check("memory" in lim, cw, "resources.limits.memory not set")
        if not main:
            continue
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            c.check(probe in ctr, cw, f"{probe} missing")
        if not ours:
            continue
        ports = {p.get("name"): p.get("containerPort") for p in ctr.get("ports") or []}
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if name == GATEWAY:
                # HTTP, and not the deep /healthz (it fails when any upstream is down: as a
                # probe it would take the whole edge down with one service).
                get = (ctr.get(probe) or {}).get("httpGet") or {}
                c.check(bool(get.get("path")) and get.get("port") in ("http", ports.get("http"))
                        and ports.get("http") is not None, cw,
                        f"{probe} is not an HTTP GET on the http port")
                c.check(get.get("path") != "/healthz", cw,
                        f"{probe} uses /healthz, which fails with any upstream")
                # The shallow paths the gateway answers from its HTTP loop (no upstream asked):
                # /readyz turns 503 while draining, so it is the readiness probe's only.
                want = "/readyz" if probe == "readinessProbe" else "/livez"
                c.check(get.get("path") == want, cw,
                        f"{probe} asks {get.get('path')!r}, not the gateway's shallow {want}")
                continue
            grpc = (ctr.get(probe) or {}).get("grpc") or {}
            c.check(grpc.get("port") == ports.get("grpc") and grpc.get("port") is not None, cw,
                    f"{probe} is not a native gRPC probe on the grpc port")
        for env in ctr.get("env") or []:
            if env.get("name") in SECRET_ENV:
                c.check("value" not in env and "secretKeyRef" in (env.get("valueFrom") or {}), cw,
                        f"{env['name']} must come from a secretKeyRef, not a literal value")
        # Termination: grace > preStop sleep + STELLENWERK_SHUTDOWN_GRACE.
        grace = None
        for ref in ctr.get("envFrom") or []:
            cm = configmaps.get((obj["metadata"].get("namespace"),
                                 (ref.get("configMapRef") or {}).get("name")))
            if cm and "STELLENWERK_SHUTDOWN_GRACE" in cm:
                grace = parse_duration(cm["STELLENWERK_SHUTDOWN_GRACE"])
        for env in ctr.get("env") or []:
            if env.get("name") == "STELLENWERK_SHUTDOWN_GRACE" and "value" in env:
                grace = parse_duration(env["value"])
        grace = 10.0 if grace is None else grace  # the runtime's default
        cmd = (((ctr.get("lifecycle") or {}).get("preStop") or {}).get("exec") or {}).get("command")
        sleep = None
        if cmd and len(cmd) == 2 and cmd[0].endswith("sleep"):
            sleep = float(cmd[1])
        c.check(sleep is not None and sleep > 0, cw, "no preStop sleep (endpoints must drain first)")
        tgps = pod.get("terminationGracePeriodSeconds", 30)
        c.check(tgps > (sleep or 0) + grace, cw,
                f"terminationGracePeriodSeconds {tgps} is not above preStop {sleep} s + "
                f"STELLENWERK_SHUTDOWN_GRACE {grace} s")
        mounts = {m.get("mountPath") for m in ctr.get("volumeMounts") or []}
        vols = {v.get("name"): v for v in pod.get("volumes") or []}
        tmp = [m for m in ctr.get("volumeMounts") or [] if m.get("mountPath") == "/tmp"]
        c.check(bool(tmp) and "emptyDir" in vols.get(tmp[0].get("name"), {}), cw,
                "/tmp is not an emptyDir")
        del mounts
    if ours:
        c.check(bool(pod.get("topologySpreadConstraints")), where, "no topologySpreadConstraints")


def check_objects(c, label, objs):
    configmaps = {}
    for o in objs:
        if o.get("kind") == "ConfigMap":
            configmaps[(o["metadata"].get("namespace"), o["metadata"]["name"])] = o.get("data") or {}
    by_kind = {}
    for o in objs:
        kind, api = o.get("kind"), o.get("apiVersion")
        name = (o.get("metadata") or {}).get("name", "?")
        where = f"{label}: {kind}/{name}"
        by_kind.setdefault(kind, []).append(o)
        if not c.check(kind in KNOWN_KINDS and api in KNOWN_KINDS[kind], where,
                       f"unknown kind/apiVersion {kind} {api}"):
            continue
        allowed = TOP_LEVEL.get(kind, DEFAULT_TOP_LEVEL)
        for f in o:
            c.check(f in allowed, where, f"unknown top-level field '{f}'")
        if kind in SPEC_FIELDS:
            for f in o.get("spec") or {}:
                c.check(f in SPEC_FIELDS[kind], where, f"unknown spec field '{f}'")
        if kind == "Secret":
            c.check(False, where, "a Secret in the manifests (secrets are referenced, never stored)")
        if kind == "ServiceAccount":
            c.check(o.get("automountServiceAccountToken") is False, where,
                    "automountServiceAccountToken is not false")
        pod = pod_template(o)
        if pod is not None:
            check_pod(c, where, o, pod, configmaps)
        if kind == "HorizontalPodAutoscaler":
            s = o.get("spec") or {}
            c.check(1 <= s.get("minReplicas", 1) <= s.get("maxReplicas", 0), where,
                    "minReplicas/maxReplicas out of order")
    # Per Stellenwerk service: Deployment, Service, ServiceAccount, HPA, PDB.
    deployments = {o["metadata"]["name"] for o in by_kind.get("Deployment", [])}
    for svc in sorted(deployments & STELLENWERK_SERVICES):
        for kind in ("Service", "ServiceAccount", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
            names = {o["metadata"]["name"] for o in by_kind.get(kind, [])}
            c.check(svc in names, f"{label}: {svc}", f"no {kind} named {svc}")
    if deployments & STELLENWERK_SERVICES:
        deny = [o for o in by_kind.get("NetworkPolicy", [])
                if (o["spec"].get("podSelector") or {}) == {}
                and set(o["spec"].get("policyTypes") or []) == {"Ingress", "Egress"}
                and not o["spec"].get("ingress") and not o["spec"].get("egress")]
        c.check(bool(deny), label, "no default-deny NetworkPolicy (empty podSelector, both types)")
        check_gateway(c, label, by_kind, deployments)
    check_redis_auth(c, label, objs)
    if any((o.get("metadata") or {}).get("namespace") == DATA_NS for o in objs):
        check_data_network(c, label, objs, configmaps)
        if deployments & STELLENWERK_SERVICES:
            check_pooler(c, label, objs, configmaps)
    return by_kind


def container_env(dep):
    ctr = dep["spec"]["template"]["spec"]["containers"][0]
    return ctr, {e["name"]: e.get("value") for e in ctr.get("env") or []}


def parse_size(text):
    """nginx size ('26m', '512k', '1g', '1048576') -> bytes; None if unparsable."""
    m = re.fullmatch(r"(\d+)([kKmMgG]?)", str(text or ""))
    if not m:
        return None
    return int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


def check_gateway(c, label, by_kind, deployments):
    """The gateway is the only entry: an Ingress to it with TLS and a body limit not below its
    upload limit; every other service's gRPC port admits the gateway."""
    deps = {o["metadata"]["name"]: o for o in by_kind.get("Deployment", [])}
    policies = by_kind.get("NetworkPolicy", [])
    ingresses = by_kind.get("Ingress", [])
    if GATEWAY not in deployments:
        c.check(not ingresses, label, "an Ingress without the gateway")
        return
    where = f"{label}: {GATEWAY}"
    _, env = container_env(deps[GATEWAY])
    upload = int(env.get("STELLENWERK_GATEWAY_MAX_UPLOAD_BYTES") or 25 << 20)
    to_gw = []
    for ing in ingresses:
        iw = f"{label}: Ingress/{ing['metadata']['name']}"
        spec = ing.get("spec") or {}
        backends = [p["backend"]["service"]["name"] for r in spec.get("rules") or []
                    for p in (r.get("http") or {}).get("paths") or []]
        c.check(backends and set(backends) == {GATEWAY}, iw, "routes to something but the gateway")
        c.check(bool(spec.get("tls")), iw, "no TLS")
        size = parse_size((ing["metadata"].get("annotations") or {})
                          .get("nginx.ingress.kubernetes.io/proxy-body-size"))
        c.check(size is not None and size >= upload, iw,
                f"proxy-body-size below STELLENWERK_GATEWAY_MAX_UPLOAD_BYTES ({upload})")
        to_gw.append(ing)
    c.check(bool(to_gw), where, "no Ingress to the gateway")

    def admits(policy_target, source, port):
        for pol in policies:
            spec = pol["spec"]
            sel = (spec.get("podSelector") or {}).get("matchLabels") or {}
            if sel.get("app.kubernetes.io/name") != policy_target:
                continue
            for rule in spec.get("ingress") or []:
                froms = [(f.get("podSelector") or {}).get("matchLabels", {}).get(
                    "app.kubernetes.io/name") for f in rule.get("from") or []]
                if source in froms and port in [p.get("port") for p in rule.get("ports") or []]:
                    return True
        return False

    for svc in sorted(deployments & STELLENWERK_SERVICES - {GATEWAY}):
        ctr, _ = container_env(deps[svc])
        grpc = {p.get("name"): p.get("containerPort") for p in ctr.get("ports") or []}.get("grpc")
        c.check(admits(svc, GATEWAY, grpc), f"{label}: {svc}",
                f"no NetworkPolicy admits the gateway to gRPC port {grpc}")


# Connections a service pod opens besides its pool: the outbox relay's publisher and LISTEN
# connections (common/outbox/outbox.cc; the migration connection is closed before they open).
RELAY_CONNECTIONS = 2
# max_connections PostgreSQL keeps beyond the Pooler's: superuser reserve, the operator, the
# exporter, a psql.
PG_RESERVED_CONNECTIONS = 20


def check_pooler(c, label, objs, configmaps):
    """PostgreSQL behind a CloudNativePG Pooler in session mode (ADR 0049), sized: the client
    connections at the HPA maxima fit one instance's max_client_conn and the pools of all
    instances; the instances' max_db_connections fit the Cluster's max_connections."""
    clusters = [o for o in objs if o.get("kind") == "Cluster"]
    poolers = [o for o in objs if o.get("kind") == "Pooler"]
    clients = 0
    hpas = {o["metadata"]["name"]: o for o in objs if o.get("kind") == "HorizontalPodAutoscaler"}
    for dep in objs:
        if dep.get("kind") != "Deployment" or dep["metadata"].get("namespace") != APP_NS or \
                "postgres" not in dependencies_used(dep, configmaps):
            continue
        settings = {}
        for ref in _container(dep).get("envFrom") or []:
            settings.update(configmaps.get((APP_NS, (ref.get("configMapRef") or {}).get("name")))
                            or {})
        settings.update({e["name"]: e.get("value") for e in _container(dep).get("env") or []})
        pods = (hpas.get(dep["metadata"]["name"]) or {}).get("spec", {}).get(
            "maxReplicas", dep["spec"].get("replicas", 1))
        clients += pods * (int(settings.get("STELLENWERK_PG_POOL_SIZE") or 8) + RELAY_CONNECTIONS)
    for cl in clusters:
        name = cl["metadata"]["name"]
        where = f"{label}: Cluster/{name}"
        mine = [p for p in poolers if (p["spec"].get("cluster") or {}).get("name") == name]
        if not c.check(len(mine) == 1, where, f"{len(mine)} Poolers in front of it, want 1"):
            continue
        spec = mine[0]["spec"]
        pw = f"{label}: Pooler/{mine[0]['metadata']['name']}"
        bouncer = spec.get("pgbouncer") or {}
        c.check(bouncer.get("poolMode") == "session", pw,
                f"poolMode {bouncer.get('poolMode')!r}: the services need session mode (session "
                "SETs, prepared statements, LISTEN, advisory locks; ADR 0049)")
        c.check(spec.get("type", "rw") == "rw", pw, "does not forward to the primary (type rw)")
        params = bouncer.get("parameters") or {}
        instances = spec.get("instances", 1)
        try:
            max_client = int(params["max_client_conn"])
            pool = int(params["default_pool_size"])
            max_db = int(params["max_db_connections"])
        except (KeyError, ValueError) as e:
            c.check(False, pw, f"max_client_conn, default_pool_size, max_db_connections: {e!r}")
            continue
        max_conn = int(((cl["spec"].get("postgresql") or {}).get("parameters") or {})
                       .get("max_connections", 100))
        c.check(clients <= max_client, pw,
                f"{clients} client connections at the HPA maxima exceed max_client_conn {max_client}")
        c.check(clients <= instances * min(pool, max_db), pw,
                f"{clients} client connections at the HPA maxima, but {instances} × "
                f"{min(pool, max_db)} server connections (session mode: one each)")
        c.check(instances * max_db + PG_RESERVED_CONNECTIONS <= max_conn, pw,
                f"{instances} × max_db_connections {max_db} + {PG_RESERVED_CONNECTIONS} reserved "
                f"exceed the Cluster's max_connections {max_conn}")


# --- NetworkPolicies of the data namespace ------------------------------------------------
# A small evaluator of networking.k8s.io/v1 NetworkPolicy (label selectors, namespace and pod
# peers, numbered and named ports) over the pods a rendering will run: the pod templates, and
# the pods the operators create from their resources (labels and ports as the operators set
# them). It answers "may pod A open a TCP connection to pod B on port P", both ends' policies.
APP_NS = "stellenwerk"
DATA_NS = "stellenwerk-data"
# The platform's namespaces admitted into DATA_NS, by the label stellenwerk.de/admits of the
# one policy that holds each one's namespaceSelector (deploy/k8s/infra/networkpolicies/
# admitted-namespaces.yaml), and what each must reach: (pod role, ports).
ADMITTED_ROLES = {
    "cnpg-operator": [("postgres", [8000, 5432])],
    "rabbitmq-operators": [("rabbitmq", [15672])],
    "monitoring": [("postgres", [9187]), ("pooler", [9127]), ("rabbitmq", [15692])],
}
# Among a dependency's own pods (replication, clustering, Sentinel): (from role, to role, ports).
INTERNAL_PATHS = [
    ("postgres", "postgres", [5432, 8000]),
    ("postgres-job", "postgres", [5432]),
    ("pooler", "postgres", [5432]),
    ("rabbitmq", "rabbitmq", [4369, 25672]),
    ("redis", "redis", [6379, 26379]),
]


def selector_matches(sel, labels):
    """metav1.LabelSelector: {} matches everything; matchLabels and matchExpressions ANDed."""
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def data_pods(objs):
    """The pods a rendering will run: [{ns, labels, ports {name: number}, role, what}]."""
    pods = []
    for o in objs:
        kind, meta = o.get("kind"), o.get("metadata") or {}
        ns, name = meta.get("namespace"), meta.get("name")
        if kind in ("Deployment", "StatefulSet", "Job"):
            tmpl = (o.get("spec") or {}).get("template") or {}
            ports = {p.get("name") or str(p.get("containerPort")): p.get("containerPort")
                     for ctr in (tmpl.get("spec") or {}).get("containers") or []
                     for p in ctr.get("ports") or []}
            labels = (tmpl.get("metadata") or {}).get("labels") or {}
            role = "redis" if labels.get("app.kubernetes.io/name") == "stellenwerk-redis" else None
            pods.append(dict(ns=ns, labels=labels, ports=ports, role=role, what=f"{kind}/{name}"))
        elif kind == "Cluster":  # CloudNativePG: instances, and its Jobs (initdb, join)
            pods.append(dict(ns=ns, role="postgres", what=f"Cluster/{name} instance",
                             labels={"cnpg.io/cluster": name, "cnpg.io/podRole": "instance",
                                     "cnpg.io/instanceRole": "primary", "role": "primary"},
                             ports={"postgresql": 5432, "status": 8000, "metrics": 9187}))
            pods.append(dict(ns=ns, role="postgres-job", what=f"Cluster/{name} join Job",
                             labels={"cnpg.io/cluster": name, "cnpg.io/jobRole": "join"}, ports={}))
        elif kind == "Pooler":  # CloudNativePG's PgBouncer Deployment
            # Only the label every operator version sets (newer ones add cnpg.io/cluster and
            # cnpg.io/podRole; a policy must not rely on them).
            pods.append(dict(ns=ns, role="pooler", what=f"Pooler/{name}",
                             labels={"cnpg.io/poolerName": name},
                             ports={"pgbouncer": 5432, "metrics": 9127}))
        elif kind == "RabbitmqCluster":
            pods.append(dict(ns=ns, role="rabbitmq", what=f"RabbitmqCluster/{name} node",
                             labels={"app.kubernetes.io/name": name,
                                     "app.kubernetes.io/component": "rabbitmq",
                                     "app.kubernetes.io/part-of": "rabbitmq"},
                             ports={"amqp": 5672, "management": 15672, "prometheus": 15692,
                                    "epmd": 4369, "cluster-links": 25672}))
    return pods


def policy_types(spec):
    types = spec.get("policyTypes")
    if types:
        return set(types)
    return {"Ingress"} | ({"Egress"} if "egress" in spec else set())


def peer_matches(peer, peer_pod, policy_ns, namespaces):
    """One NetworkPolicyPeer against a pod; ipBlock peers match no pod (they name addresses)."""
    if "ipBlock" in peer:
        return False
    ns_sel, pod_sel = peer.get("namespaceSelector"), peer.get("podSelector")
    if ns_sel is None and pod_sel is None:
        return False
    if ns_sel is None:
        if peer_pod["ns"] != policy_ns:
            return False
    elif not selector_matches(ns_sel, namespaces.get(peer_pod["ns"], {})):
        return False
    return pod_sel is None or selector_matches(pod_sel, peer_pod["labels"])


def port_matches(rule_ports, dst_pod, port):
    if not rule_ports:
        return True
    for p in rule_ports:
        if (p.get("protocol") or "TCP") != "TCP":
            continue
        want = p.get("port")
        if want is None:
            return True
        if isinstance(want, str):
            want = dst_pod["ports"].get(want)
        if want == port or (p.get("endPort") and want is not None and want <= port <= p["endPort"]):
            return True
    return False


def direction_allows(policies, direction, own, other, dst, port, namespaces):
    """Do `own`'s namespace's policies let `other` through in `direction` ("ingress": own is
    the destination, "egress": own is the source)? Not isolated = allowed."""
    selecting = [p for p in policies if p["metadata"].get("namespace") == own["ns"]
                 and direction.capitalize() in policy_types(p["spec"])
                 and selector_matches(p["spec"].get("podSelector") or {}, own["labels"])]
    if not selecting:
        return True
    key, peers_key = ("ingress", "from") if direction == "ingress" else ("egress", "to")
    for pol in selecting:
        for rule in pol["spec"].get(key) or []:
            peers = rule.get(peers_key)
            if (not peers or any(peer_matches(x, other, own["ns"], namespaces) for x in peers)) \
                    and port_matches(rule.get("ports"), dst, port):
                return True
    return False


def namespace_labels(objs, extra=()):
    labels = {}
    for o in objs:
        if o.get("kind") == "Namespace":
            name = o["metadata"]["name"]
            labels[name] = dict(o["metadata"].get("labels") or {},
                                **{"kubernetes.io/metadata.name": name})
    for name, lab in extra:
        labels[name] = lab
    return labels


def dependencies_used(dep, configmaps):
    """What a Stellenwerk workload connects to, read from its settings: postgres
    (STELLENWERK_PG_URI), rabbitmq (STELLENWERK_AMQP_URI), redis (STELLENWERK_REDIS_ADDR or
    STELLENWERK_REDIS_SENTINELS, also from its ConfigMaps)."""
    settings = set()
    pod = dep["spec"]["template"]["spec"]
    for ctr in (pod.get("containers") or []) + (pod.get("initContainers") or []):
        settings |= {e.get("name") for e in ctr.get("env") or []}
        for ref in ctr.get("envFrom") or []:
            cm = configmaps.get((dep["metadata"].get("namespace"),
                                 (ref.get("configMapRef") or {}).get("name")))
            settings |= set(cm or {})
    used = set()
    if "STELLENWERK_PG_URI" in settings:
        used.add("postgres")
    if "STELLENWERK_AMQP_URI" in settings:
        used.add("rabbitmq")
    if settings & {"STELLENWERK_REDIS_ADDR", "STELLENWERK_REDIS_SENTINELS"}:
        used.add("redis")
    return used


# A dependency's client-facing pods and ports: PostgreSQL through the Pooler when the rendering
# has one (ADR 0049), else the instances.
def client_targets(pods):
    has_pooler = any(p["role"] == "pooler" for p in pods)
    return {"postgres": ("pooler" if has_pooler else "postgres", [5432]),
            "rabbitmq": ("rabbitmq", [5672]),
            "redis": ("redis", [6379, 26379])}


def check_data_network(c, label, objs, configmaps):
    """The data namespace's NetworkPolicies: default deny, every Stellenwerk workload admitted
    exactly to the dependencies it uses (and its egress meeting a data-side rule), the
    operators and monitoring admitted from the namespaces their policies name, the
    dependencies' own pods reaching each other, nobody else admitted."""
    policies = [o for o in objs if o.get("kind") == "NetworkPolicy"]
    data_policies = [p for p in policies if p["metadata"].get("namespace") == DATA_NS]
    pods = data_pods(objs)
    targets = [p for p in pods if p["ns"] == DATA_NS]
    where = f"{label}: {DATA_NS}"
    deny = [p for p in data_policies if "Ingress" in policy_types(p["spec"])
            and not p["spec"].get("ingress")]
    c.check(any((p["spec"].get("podSelector") or {}) == {} for p in deny), where,
            "no default-deny ingress NetworkPolicy (empty podSelector, no ingress rule)")
    for d in targets:
        c.check(any(selector_matches(p["spec"].get("podSelector") or {}, d["labels"]) for p in deny),
                where, f"{d['what']} is not selected by a deny-ingress policy")
    # Role policies: one each, its only peers namespaceSelectors with labels (one namespace
    # each; several when the platform runs, say, the two RabbitMQ operators apart).
    role_ns = {}
    for role in ADMITTED_ROLES:
        own = [p for p in data_policies
               if (p["metadata"].get("labels") or {}).get("stellenwerk.de/admits") == role]
        if not c.check(len(own) == 1, where,
                       f"{len(own)} NetworkPolicies labelled stellenwerk.de/admits={role}, want 1"):
            continue
        peers = [x for r in own[0]["spec"].get("ingress") or [] for x in r.get("from") or []]
        sels = [(x.get("namespaceSelector") or {}).get("matchLabels") or {} for x in peers]
        ok = c.check(bool(peers) and all(set(x) == {"namespaceSelector"} for x in peers)
                     and all(sels), where,
                     f"NetworkPolicy/{own[0]['metadata']['name']} must admit namespaces by "
                     "their labels (namespaceSelectors with matchLabels, nothing else)")
        if ok:
            role_ns[role] = []
            for i, sel in enumerate(sels):
                name = sel.get("kubernetes.io/metadata.name", f"<{role} {i}>")
                c.check(name not in (APP_NS, DATA_NS), where,
                        f"the {role} namespace selector names {name}")
                role_ns[role].append((f"<{role} {i}> {name}", sel))
    namespaces = namespace_labels(objs, [ns for each in role_ns.values() for ns in each])
    namespaces.setdefault("<elsewhere>", {"kubernetes.io/metadata.name": "elsewhere"})
    outsider = dict(ns="<elsewhere>", labels={}, ports={}, role=None, what="a pod elsewhere")

    def may(src, dst, port):
        return direction_allows(policies, "egress", src, dst, dst, port, namespaces) and \
            direction_allows(policies, "ingress", dst, src, dst, port, namespaces)

    for role, needs in ADMITTED_ROLES.items():
        if role not in role_ns:
            continue
        for ns, _ in role_ns[role]:
            probe = dict(ns=ns, labels={}, ports={}, role=None, what=role)
            for target_role, ports in needs:
                for d in (p for p in targets if p["role"] == target_role):
                    for port in ports:
                        c.check(may(probe, d, port), where,
                                f"the {role} namespace {ns} cannot reach {d['what']} on {port}")
    for src_role, dst_role, ports in INTERNAL_PATHS:
        for s in (p for p in pods if p["role"] == src_role and p["ns"] == DATA_NS):
            for d in (p for p in targets if p["role"] == dst_role):
                for port in ports:
                    c.check(may(s, d, port), where, f"{s['what']} cannot reach {d['what']} on {port}")
    for d in targets:
        for port in sorted(set(d["ports"].values())):
            c.check(not may(outsider, d, port), where,
                    f"a pod of an unrelated namespace may reach {d['what']} on {port}")
    # Stellenwerk's workloads (and any Job of theirs) against what they use.
    goal = client_targets(targets)
    workloads = [o for o in objs if o.get("kind") in ("Deployment", "Job")
                 and o["metadata"].get("namespace") == APP_NS
                 and ((o["spec"]["template"].get("metadata") or {}).get("labels") or {})
                 .get("app.kubernetes.io/part-of") == "stellenwerk"]
    for w in workloads:
        src = next(p for p in pods if p["what"] == f"{w['kind']}/{w['metadata']['name']}"
                   and p["ns"] == APP_NS)
        used = dependencies_used(w, configmaps)
        ww = f"{label}: {w['kind']}/{w['metadata']['name']}"
        for d in targets:
            for port in sorted(set(d["ports"].values())):
                needed = any(goal[x][0] == d["role"] and port in goal[x][1] for x in used)
                out = direction_allows(policies, "egress", src, d, d, port, namespaces)
                into = direction_allows(policies, "ingress", d, src, d, port, namespaces)
                if needed:
                    c.check(out, ww, f"uses {d['what']} on {port}, but its egress does not allow it")
                    c.check(into, ww, f"uses {d['what']} on {port}, but {DATA_NS} does not admit it")
                else:
                    c.check(not (out and not into), ww,
                            f"egress to {d['what']} on {port} meets no ingress rule in {DATA_NS}")
                    c.check(not into, ww,
                            f"{DATA_NS} admits it to {d['what']} on {port}, which it does not use")


def _policy(objs, name):
    return next(o for o in objs if o.get("kind") == "NetworkPolicy"
                and o["metadata"]["name"] == name)


def _drop(objs, kind, name):
    objs.remove(next(o for o in objs if o.get("kind") == kind and o["metadata"]["name"] == name))


def _rule(objs, name, i=0):
    return _policy(objs, name)["spec"]["ingress"][i]


# (what, edit of a copy of a rendered overlay): known-bad edits check_data_network or
# check_pooler must reject.
NETWORK_MUTATIONS = [
    ("the default deny narrowed to the Redis pods",
     lambda objs: _policy(objs, "default-deny-ingress")["spec"].update(
         podSelector={"matchLabels": {"app.kubernetes.io/name": "stellenwerk-redis"}})),
    ("PgBouncer admitting the services on 5433 (their egress says 5432)",
     lambda objs: _rule(objs, "pooler-from-services")["ports"][0].update(port=5433)),
    ("RabbitMQ admitting the gateway, which speaks no AMQP",
     lambda objs: _rule(objs, "rabbitmq-from-services")["from"][0]["podSelector"].update(
         matchLabels={"app.kubernetes.io/part-of": "stellenwerk"})),
    ("Redis admitting service pods of its own namespace only",
     lambda objs: _rule(objs, "redis-from-services")["from"][0].pop("namespaceSelector")),
    ("no policy for the RabbitMQ operators",
     lambda objs: _drop(objs, "NetworkPolicy", "rabbitmq-from-operators")),
    ("monitoring without RabbitMQ's metrics port",
     lambda objs: _rule(objs, "metrics-from-monitoring")["ports"].pop()),
    ("the CloudNativePG operator's policy admitting every namespace",
     lambda objs: _rule(objs, "postgres-from-operator")["from"][0].update(namespaceSelector={})),
    ("no replication between the Redis pods",
     lambda objs: _drop(objs, "NetworkPolicy", "redis-among-instances")),
    ("RabbitMQ nodes without Erlang distribution between them",
     lambda objs: _rule(objs, "rabbitmq-among-nodes")["ports"].pop()),
    ("an allow-all ingress rule on Redis",
     lambda objs: _policy(objs, "redis-from-services")["spec"]["ingress"].append({})),
    ("the services admitted to the PostgreSQL instances, past the Pooler",
     lambda objs: _policy(objs, "postgres-among-instances")["spec"]["ingress"].append(
         copy.deepcopy(_rule(objs, "pooler-from-services")))),
    ("PgBouncer without a way to the instances",
     lambda objs: _policy(objs, "postgres-among-instances")["spec"]["ingress"].pop()),
    ("monitoring without PgBouncer's metrics port",
     lambda objs: _rule(objs, "metrics-from-monitoring")["ports"].pop(1)),
    ("the services' egress open to PostgreSQL's metrics port, which admits only monitoring",
     lambda objs: _policy(objs, "allow-data-egress")["spec"]["egress"].append(
         {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": DATA_NS}},
                  "podSelector": {"matchLabels": {"cnpg.io/cluster": "stellenwerk-pg"}}}],
          "ports": [{"protocol": "TCP", "port": 9187}]})),
    ("the Pooler in transaction mode",
     lambda objs: next(o for o in objs if o.get("kind") == "Pooler")["spec"]["pgbouncer"].update(
         poolMode="transaction")),
    ("applications' HPA raised to 30 pods with the Pooler unchanged",
     lambda objs: next(o for o in objs if o.get("kind") == "HorizontalPodAutoscaler"
                       and o["metadata"]["name"] == "applications")["spec"].update(maxReplicas=30)),
    ("the services' egress without Sentinel",
     lambda objs: _policy(objs, "allow-data-egress")["spec"]["egress"][2]["ports"].pop()),
]


def check_mutations(c, label, objs, mutations, checks, name):
    """Each edit of `mutations` applied to a copy of the rendered objects must make one of
    `checks` (functions of a Checks and the objects) fail: the checker can see what it guards."""
    for what, edit in mutations:
        bad = copy.deepcopy(objs)
        try:
            edit(bad)
        except (StopIteration, KeyError, IndexError, TypeError, ValueError) as e:
            c.check(False, label, f"mutation '{what}' does not apply: {e!r}")
            continue
        probe = Checks()
        with contextlib.redirect_stdout(io.StringIO()):
            for check in checks:
                check(probe, bad)
        c.check(probe.failed > 0, label, f"the {name} checks accepted {what}")


# An overlay moves the admitted namespaces (ADMITTED_ROLES) with one patch each: rendered
# with the kubectl under test from a temporary overlay over deploy/k8s/infra.
OVERLAY_NAMESPACES = {
    "postgres-from-operator": ("cnpg-operator", "platform-cnpg"),
    "rabbitmq-from-operators": ("rabbitmq-operators", "platform-rabbitmq"),
    "metrics-from-monitoring": ("monitoring", "platform-monitoring"),
}


def check_admitted_overlay(c, kubectl, infra, infra_objs):
    """The admitted namespaces are overlay settings: a patchesStrategicMerge per policy
    (docs/operations.md shows the same) changes them, and the checks hold with the new ones.
    `infra_objs`: deploy/k8s/infra (the directory `infra`) as rendered."""
    rendered = {o["metadata"]["name"]: o for o in infra_objs if o.get("kind") == "NetworkPolicy"}
    with tempfile.TemporaryDirectory() as tmp:
        patches = []
        for name, (role, ns) in OVERLAY_NAMESPACES.items():
            pol = rendered.get(name)
            if not c.check(pol is not None, "deploy/k8s/infra", f"no NetworkPolicy {name}"):
                return
            rules = copy.deepcopy(pol["spec"]["ingress"])
            for r in rules:
                for peer in r.get("from") or []:
                    peer["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": ns}}
            patch = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                     "metadata": {"name": name, "namespace": DATA_NS},
                     "spec": {"ingress": rules}}
            with open(os.path.join(tmp, f"{name}.yaml"), "w") as f:
                yaml.safe_dump(patch, f)
            patches.append(f"{name}.yaml")
        with open(os.path.join(tmp, "kustomization.yaml"), "w") as f:
            yaml.safe_dump({"apiVersion": "kustomize.config.k8s.io/v1beta1",
                            "kind": "Kustomization",
                            # relative: kustomize refuses an absolute base
                            "bases": [os.path.relpath(infra, tmp)],
                            "patchesStrategicMerge": patches}, f)
        label = "overlay moving the admitted namespaces"
        objs = render(c, kubectl, tmp, label)
    got = {o["metadata"]["name"]: o for o in objs if o.get("kind") == "NetworkPolicy"}
    for name, (role, ns) in OVERLAY_NAMESPACES.items():
        sels = [p.get("namespaceSelector") for r in (got.get(name) or {}).get("spec", {})
                .get("ingress") or [] for p in r.get("from") or []]
        c.check(bool(sels) and all(s == {"matchLabels": {"kubernetes.io/metadata.name": ns}}
                                   for s in sels), label, f"{name} does not admit {ns}")
        c.check(got.get(name, {}).get("spec", {}).get("podSelector")
                == rendered[name]["spec"].get("podSelector"), label,
                f"{name}: the patch changed more than the namespace")
    c.check(len(got) == len(rendered), label, "the patch added or removed NetworkPolicies")
    check_data_network(c, label, objs, {})


# --- Redis AUTH (ADR 0053) ----------------------------------------------------------------
# Redis and its Sentinels require passwords from one Secret, created by the platform in both
# namespaces (docs/operations.md, "Secrets"); every workload that uses Redis authenticates.
REDIS_AUTH_SECRET = "stellenwerk-redis-auth"
# A service setting (or its _FILE twin) and the key of REDIS_AUTH_SECRET it must come from.
REDIS_PASSWORD_SETTINGS = {"STELLENWERK_REDIS_PASSWORD": "password",
                           "STELLENWERK_REDIS_SENTINEL_PASSWORD": "sentinel-password"}
# Sample Secret values the Redis pods' scripts are run with (check_redis_pods_auth).
SAMPLE_REDIS_SECRET = {"password": "sample-instances-pw", "sentinel-password": "sample-sentinel-pw"}
REDIS_PORT, SENTINEL_PORT = 6379, 26379

# Stand-ins for the Redis pods' scripts: `hostname` names pod 1; `redis-cli` answers like a
# Redis that wants $STUB_AUTH (PONG for ping on $STUB_PORT; for the Sentinel question
# $STUB_PRIMARY, or nothing when unset), and NOAUTH to anyone else.
REDIS_STUBS = {
    "hostname": "#!/bin/sh\necho stellenwerk-redis-1\n",
    "redis-cli": """#!/bin/sh
port=6379; cmd=""
while [ $# -gt 0 ]; do
  case "$1" in -p) port=$2; shift 2 ;; -h) shift 2 ;; --raw) shift ;; *) cmd="$cmd $1"; shift ;; esac
done
if [ "${REDISCLI_AUTH:-}" != "${STUB_AUTH:-}" ]; then echo "NOAUTH Authentication required."; exit 0; fi
case "$cmd" in
  " ping") [ "$port" = "${STUB_PORT:-6379}" ] && echo PONG || exit 1 ;;
  " sentinel get-master-addr-by-name"*) [ -n "${STUB_PRIMARY:-}" ] || exit 1
    printf '%s\\n6379\\n' "$STUB_PRIMARY" ;;
  *) echo "ERR unknown command" ;;
esac
""",
}


def _mounted_secret_key(ctr, vols, path, secret):
    """The key of Secret `secret` that `path` is inside `ctr`, or None."""
    for m in ctr.get("volumeMounts") or []:
        sec = (vols.get(m.get("name")) or {}).get("secret") or {}
        mp = (m.get("mountPath") or "").rstrip("/")
        if sec.get("secretName") != secret or m.get("subPath") or not path.startswith(mp + "/"):
            continue
        rel = path[len(mp) + 1:]
        items = sec.get("items")
        return {i.get("path"): i.get("key") for i in items}.get(rel) if items else rel
    return None


def check_service_redis_auth(c, where, w, configmaps):
    """A workload that uses Redis gets each password of REDIS_PASSWORD_SETTINGS it needs (the
    Sentinels' when it asks Sentinels) from REDIS_AUTH_SECRET: a secretKeyRef, or a _FILE in
    a mount of that Secret naming the right key; never both, never a literal or a ConfigMap."""
    pod = w["spec"]["template"]["spec"]
    ctr = (pod.get("containers") or [{}])[0]
    vols = {v.get("name"): v for v in pod.get("volumes") or []}
    env = {e.get("name"): e for e in ctr.get("env") or []}
    cm = {}
    for ref in ctr.get("envFrom") or []:
        cm.update(configmaps.get((w["metadata"].get("namespace"),
                                  (ref.get("configMapRef") or {}).get("name"))) or {})
    settings = set(env) | set(cm)
    for setting, key in REDIS_PASSWORD_SETTINGS.items():
        if setting == "STELLENWERK_REDIS_SENTINEL_PASSWORD" and \
                "STELLENWERK_REDIS_SENTINELS" not in settings:
            continue
        direct = env.get(setting)
        file_var = f"{setting}_FILE"
        file = (env[file_var].get("value") if file_var in env else cm.get(file_var)) or ""
        c.check(setting not in cm, where, f"{setting} in a ConfigMap: passwords come from "
                f"Secret {REDIS_AUTH_SECRET}")
        if direct is not None and file:
            c.check(False, where, f"{setting} and {file_var} both set (the service refuses that)")
        elif direct is not None:
            ref = (direct.get("valueFrom") or {}).get("secretKeyRef") or {}
            c.check("value" not in direct and ref.get("name") == REDIS_AUTH_SECRET
                    and ref.get("key") == key, where,
                    f"{setting} is not the key {key} of Secret {REDIS_AUTH_SECRET}")
        elif file:
            c.check(_mounted_secret_key(ctr, vols, file, REDIS_AUTH_SECRET) == key, where,
                    f"{file_var}={file} is not the key {key} of a mounted Secret "
                    f"{REDIS_AUTH_SECRET}")
        else:
            c.check(setting in cm, where, f"uses Redis without {setting} or {file_var}: it "
                    "would connect without AUTH")


def _sandbox(tmp, ctr, vols, configmaps, ns):
    """Copies of what `ctr` mounts from ConfigMaps and REDIS_AUTH_SECRET (SAMPLE_REDIS_SECRET)
    under tmp: {mountPath: tmp dir}. None when a ConfigMap it mounts is not rendered."""
    mapping = {}
    for i, m in enumerate(ctr.get("volumeMounts") or []):
        v = vols.get(m.get("name")) or {}
        files = None
        if "configMap" in v:
            files = configmaps.get((ns, v["configMap"].get("name")))
            if files is None:
                return None
        elif (v.get("secret") or {}).get("secretName") == REDIS_AUTH_SECRET:
            files = SAMPLE_REDIS_SECRET
        elif "emptyDir" in v:
            files = {}
        if files is None:
            continue
        d = os.path.join(tmp, f"mount{i}")
        os.makedirs(d, exist_ok=True)
        for k, text in files.items():
            with open(os.path.join(d, k), "w") as f:
                f.write(text)
        mapping[m["mountPath"].rstrip("/")] = d
    return mapping


def _relocate(text, mapping):
    for mp in sorted(mapping, key=len, reverse=True):
        text = re.sub(re.escape(mp) + r"(?=/|$)", mapping[mp], text)
    return text


def _run(tmp, argv, env, mapping):
    bindir = os.path.join(tmp, "bin")
    os.makedirs(bindir, exist_ok=True)
    for name, text in REDIS_STUBS.items():
        path = os.path.join(bindir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
    argv = [_relocate(a, mapping) for a in argv]
    full = {"PATH": f"{bindir}:/usr/bin:/bin"}
    full.update({k: _relocate(v, mapping) for k, v in env.items()})
    try:
        return subprocess.run(argv, env=full, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return subprocess.CompletedProcess(argv, 99, "", repr(e))


def _conf(path):
    """A Redis config file as [[directive, args...]] (the generated ones need no quoting)."""
    if not os.path.isfile(path):
        return []
    return [line.split() for line in open(path).read().splitlines() if line.strip()
            and not line.lstrip().startswith("#")]


def _last(conf, *words):
    hits = [x for x in conf if x[:len(words)] == list(words)]
    return hits[-1][len(words):] if hits else None


def check_redis_pods_auth(c, where, sts, configmaps):
    """The Redis StatefulSet's init script, run with stand-ins, writes requirepass and
    masterauth (the instances' password) into redis.conf, requirepass (the Sentinels') and
    auth-pass for the monitored primary into sentinel.conf, asks the Sentinels with their
    password, refuses an unusable password without printing it; the containers run those
    files; every probe authenticates with its instance's password and fails on NOAUTH."""
    ns = sts["metadata"].get("namespace")
    pod = sts["spec"]["template"]["spec"]
    vols = {v.get("name"): v for v in pod.get("volumes") or []}
    c.check(any((v.get("secret") or {}).get("secretName") == REDIS_AUTH_SECRET
                for v in vols.values()), where, f"no volume from Secret {REDIS_AUTH_SECRET}")
    inits = [x for x in pod.get("initContainers") or []
             if any(str(a).endswith("init.sh") for a in x.get("command") or [])]
    if not c.check(len(inits) == 1, where, "no init container running init.sh"):
        return
    init = inits[0]
    env = {e["name"]: e.get("value") for e in init.get("env") or [] if "value" in e}
    conf_dir = env.get("REDIS_CONF_DIR") or ""
    mains = {}
    for ctr in pod.get("containers") or []:
        ports = {p.get("containerPort") for p in ctr.get("ports") or []}
        role = "sentinel" if SENTINEL_PORT in ports else "redis" if REDIS_PORT in ports else None
        if role:
            mains[role] = ctr
    for role, file in (("redis", "redis.conf"), ("sentinel", "sentinel.conf")):
        ctr = mains.get(role)
        if not c.check(ctr is not None, where, f"no {role} container"):
            return
        same = [m for m in ctr.get("volumeMounts") or [] if m.get("mountPath") == conf_dir and
                any(i.get("mountPath") == conf_dir and i.get("name") == m.get("name")
                    for i in init.get("volumeMounts") or [])]
        c.check(bool(same) and f"{conf_dir}/{file}" in (ctr.get("command") or []) +
                (ctr.get("args") or []), where,
                f"the {role} container does not run {conf_dir}/{file}, which init.sh writes")
    pw, spw = SAMPLE_REDIS_SECRET["password"], SAMPLE_REDIS_SECRET["sentinel-password"]
    pod0 = f"stellenwerk-redis-0.stellenwerk-redis-headless.{ns}.svc"
    pod2 = f"stellenwerk-redis-2.stellenwerk-redis-headless.{ns}.svc"
    # (what the Sentinels answer, the primary init.sh must choose)
    for stub, primary in (({}, pod0), ({"STUB_AUTH": spw, "STUB_PRIMARY": pod2}, pod2),
                          ({"STUB_AUTH": "not-the-sentinel-pw", "STUB_PRIMARY": pod2}, pod0)):
        with tempfile.TemporaryDirectory() as tmp:
            mapping = _sandbox(tmp, init, vols, configmaps, ns)
            if not c.check(mapping is not None and env.get("REDIS_AUTH_DIR") in mapping and
                           conf_dir in mapping, where,
                           "init.sh's REDIS_AUTH_DIR and REDIS_CONF_DIR are not its mounts of "
                           f"Secret {REDIS_AUTH_SECRET} and the config volume"):
                return
            proc = _run(tmp, init["command"], dict(env, POD_NAMESPACE=ns, **stub), mapping)
            sw = f"{where} init.sh (Sentinels answering {stub.get('STUB_PRIMARY', 'nothing')})"
            if not c.check(proc.returncode == 0, sw, f"exit {proc.returncode}: "
                           f"{proc.stderr.strip()[-500:]}"):
                continue
            c.check(pw not in proc.stdout + proc.stderr and spw not in proc.stdout + proc.stderr,
                    sw, "prints a password")
            redis = _conf(os.path.join(mapping[conf_dir], "redis.conf"))
            sentinel = _conf(os.path.join(mapping[conf_dir], "sentinel.conf"))
            c.check(_last(redis, "requirepass") == [pw], sw,
                    "redis.conf: no requirepass with the Secret's password")
            c.check(_last(redis, "masterauth") == [pw], sw,
                    "redis.conf: no masterauth with the Secret's password (replicas cannot sync)")
            c.check(_last(sentinel, "requirepass") == [spw], sw,
                    "sentinel.conf: no requirepass with the Secret's sentinel-password")
            monitor = _last(sentinel, "sentinel", "monitor")
            name = monitor[0] if monitor else None
            c.check(monitor is not None and monitor[1] == primary, sw,
                    f"sentinel.conf monitors {monitor}, not {primary}")
            auth = [i for i, x in enumerate(sentinel) if x[:3] == ["sentinel", "auth-pass", name]]
            mon = [i for i, x in enumerate(sentinel) if x[:2] == ["sentinel", "monitor"]]
            c.check(bool(auth) and sentinel[auth[-1]][3:] == [pw] and auth[-1] > mon[-1], sw,
                    f"sentinel.conf: no 'sentinel auth-pass {name}' with the Secret's password "
                    "after the monitor line")
            c.check(_last(redis, "replicaof") == [primary, "6379"], sw,
                    f"redis.conf: not a replica of {primary}")
    with tempfile.TemporaryDirectory() as tmp:
        mapping = _sandbox(tmp, init, vols, configmaps, ns)
        secret = os.path.join(mapping[env["REDIS_AUTH_DIR"]], "password")
        with open(secret, "w") as f:
            f.write("two words\n")
        proc = _run(tmp, init["command"], dict(env, POD_NAMESPACE=ns), mapping)
        c.check(proc.returncode != 0 and "two words" not in proc.stdout + proc.stderr, where,
                "init.sh accepts a password it cannot write unquoted (or prints it)")
    for role, ctr in mains.items():
        key = "sentinel-password" if role == "sentinel" else "password"
        port = SENTINEL_PORT if role == "sentinel" else REDIS_PORT
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            cmd = ((ctr.get(probe) or {}).get("exec") or {}).get("command")
            pw_ = f"{where} {role} {probe}"
            if not c.check(bool(cmd), pw_, "not an exec probe"):
                continue
            with tempfile.TemporaryDirectory() as tmp:
                mapping = _sandbox(tmp, ctr, vols, configmaps, ns)
                if not c.check(mapping is not None, pw_, "mounts a ConfigMap that is not rendered"):
                    continue
                good = _run(tmp, cmd, {"STUB_AUTH": SAMPLE_REDIS_SECRET[key],
                                       "STUB_PORT": str(port)}, mapping)
                bad = _run(tmp, cmd, {"STUB_AUTH": "another-password", "STUB_PORT": str(port)},
                           mapping)
            c.check(good.returncode == 0, pw_,
                    f"fails against a {role} on {port} that wants the Secret's {key}: "
                    f"{(good.stdout + good.stderr).strip()[-300:]}")
            c.check(bad.returncode != 0, pw_, "succeeds although the instance answers NOAUTH")


def check_redis_auth(c, label, objs):
    """ADR 0053 over one rendering: the Redis pods (check_redis_pods_auth) and every
    Stellenwerk workload that uses Redis (check_service_redis_auth)."""
    configmaps = {(o["metadata"].get("namespace"), o["metadata"]["name"]): o.get("data") or {}
                  for o in objs if o.get("kind") == "ConfigMap"}
    for o in objs:
        labels = ((o.get("spec") or {}).get("template", {}).get("metadata") or {}).get(
            "labels") or {}
        where = f"{label}: {o.get('kind')}/{o['metadata']['name']}"
        if o.get("kind") == "StatefulSet" and \
                labels.get("app.kubernetes.io/name") == "stellenwerk-redis":
            check_redis_pods_auth(c, where, o, configmaps)
        elif o.get("kind") in ("Deployment", "Job") and \
                labels.get("app.kubernetes.io/part-of") == "stellenwerk" and \
                o["metadata"].get("namespace") in (APP_NS, None) and \
                "redis" in dependencies_used(o, configmaps):
            check_service_redis_auth(c, where, o, configmaps)


def _edit_script(objs, key, old, new=""):
    data = next(o for o in objs if o.get("kind") == "ConfigMap"
                and o["metadata"]["name"] == "stellenwerk-redis")["data"]
    if old not in data[key]:
        raise KeyError(f"{old!r} not in {key}")
    data[key] = data[key].replace(old, new)


def _app_config(objs):
    return next(o for o in objs if o.get("kind") == "ConfigMap"
                and o["metadata"].get("namespace") == APP_NS
                and o["metadata"]["name"].startswith("stellenwerk-config"))["data"]


def _deployment(objs, name):
    return next(o for o in objs if o.get("kind") == "Deployment" and o["metadata"]["name"] == name)


def _redis_container(objs, role):
    sts = next(o for o in objs if o.get("kind") == "StatefulSet"
               and o["metadata"]["name"] == "stellenwerk-redis")
    return next(x for x in sts["spec"]["template"]["spec"]["containers"] if x["name"] == role)


# (what, edit of a copy of a rendered overlay): known-bad edits check_redis_auth must reject.
REDIS_AUTH_MUTATIONS = [
    ("Redis without requirepass",
     lambda objs: _edit_script(objs, "init.sh", 'echo "requirepass ${PASSWORD}"')),
    ("replicas without masterauth",
     lambda objs: _edit_script(objs, "init.sh", 'echo "masterauth ${PASSWORD}"')),
    ("Sentinels without requirepass",
     lambda objs: _edit_script(objs, "init.sh", 'echo "requirepass ${SENTINEL_PASSWORD}"')),
    ("Sentinels without auth-pass for the primary",
     lambda objs: _edit_script(objs, "init.sh", 'echo "sentinel auth-pass stellenwerk ${PASSWORD}"')),
    ("init.sh asking the Sentinels without their password",
     lambda objs: _edit_script(objs, "init.sh", 'REDISCLI_AUTH="${SENTINEL_PASSWORD}" ')),
    ("init.sh taking a NOAUTH answer for the primary's name",
     lambda objs: _edit_script(objs, "init.sh",
                               'case "${known}" in *[!A-Za-z0-9.-]*) known="" ;; esac')),
    ("probes that take NOAUTH for an answer",
     lambda objs: _edit_script(objs, "ping.sh", " | grep -qx PONG")),
    ("the Sentinel's probes with the instances' password",
     lambda objs: [_redis_container(objs, "sentinel")[p]["exec"].update(
         command=["/bin/sh", "/scripts/ping.sh", "26379", "/etc/redis-auth/password"])
         for p in ("startupProbe", "readinessProbe", "livenessProbe")]),
    ("the pre-ADR-0053 probe (redis-cli ping)",
     lambda objs: _redis_container(objs, "redis")["livenessProbe"]["exec"].update(
         command=["redis-cli", "ping"])),
    ("the Redis pods' passwords from another Secret",
     lambda objs: next(v for v in next(o for o in objs if o.get("kind") == "StatefulSet")
                       ["spec"]["template"]["spec"]["volumes"] if "secret" in v)["secret"]
     .update(secretName="stellenwerk-redis")),
    ("the gateway without the Secret mounted",
     lambda objs: _container(_deployment(objs, "gateway"))["volumeMounts"].remove(
         next(m for m in _container(_deployment(objs, "gateway"))["volumeMounts"]
              if m["name"] == "redis-auth"))),
    ("no STELLENWERK_REDIS_PASSWORD_FILE in the services' ConfigMap",
     lambda objs: _app_config(objs).pop("STELLENWERK_REDIS_PASSWORD_FILE")),
    ("the Sentinel password file naming the instances' key",
     lambda objs: _app_config(objs).update(
         STELLENWERK_REDIS_SENTINEL_PASSWORD_FILE="/etc/stellenwerk/redis/password")),
    ("a literal STELLENWERK_REDIS_PASSWORD in postings' env",
     lambda objs: _container(_deployment(objs, "postings"))["env"].append(
         {"name": "STELLENWERK_REDIS_PASSWORD", "value": "sample"})),
    ("the password in the services' ConfigMap",
     lambda objs: (_app_config(objs).pop("STELLENWERK_REDIS_PASSWORD_FILE"),
                   _app_config(objs).update(STELLENWERK_REDIS_PASSWORD="sample"))),
]



def render(c, kubectl, path, label):
    proc = subprocess.run([kubectl, "kustomize", path], capture_output=True, text=True)
    if not c.check(proc.returncode == 0, label,
                   f"kubectl kustomize failed: {proc.stderr.strip()[:2000]}"):
        return []
    try:
        return [d for d in yaml.safe_load_all(proc.stdout) if d]
    except yaml.YAMLError as e:
        c.check(False, label, f"rendered YAML does not parse: {e}")
        return []


def _container(o):
    return o["spec"]["template"]["spec"]["containers"][0]


# (kind, what, edit): known-bad edits the schema check must reject (check_schemas).
SCHEMA_MUTATIONS = [
    ("Deployment", "a misspelt nested field",
     lambda o: _container(o)["securityContext"].update(runAsNonRot=True)),
    ("Deployment", "a string for an integer", lambda o: o["spec"].update(replicas="3")),
    ("Deployment", "a container without a name", lambda o: _container(o).pop("name")),
    ("NetworkPolicy", "an unknown enum value", lambda o: o["spec"].update(policyTypes=["Ingres"])),
    ("RabbitmqCluster", "an unknown RabbitmqCluster field", lambda o: o["spec"].update(replica=3)),
    ("Cluster", "an unknown CloudNativePG field", lambda o: o["spec"].update(instance=3)),
    ("PrometheusRule", "a misspelt rule field",
     lambda o: o["spec"]["groups"][0]["rules"][0].update(expresion="up")),
    ("Ingress", "an unknown Ingress spec field", lambda o: o["spec"].update(tlss=[])),
    ("Pooler", "an unknown PgBouncer field",
     lambda o: o["spec"]["pgbouncer"].update(pool_mode="session")),
]


def check_schemas(c, root, rendered_objects):
    """Every rendered object against its kind's API schema, strictly (deploy/schema/check.js:
    kubernetes-models' OpenAPI validators plus TypeScript's excess-field check; ADR 0047).
    Needs node and deploy/schema/node_modules (scripts/test runs npm ci there)."""
    schema = os.path.join(root, "deploy", "schema")
    node = shutil.which("node")
    if not c.check(node is not None and os.path.isdir(os.path.join(schema, "node_modules")),
                   "deploy/schema", "node or deploy/schema/node_modules missing (npm ci there)"):
        return
    entries = [{"source": label, "object": o} for label, objs in rendered_objects for o in objs]
    # The checker must reject what the API server would: one known-bad edit per rule, made to
    # copies of rendered objects; each must fail, the untouched objects must pass. One node
    # run checks both (starting node and TypeScript costs seconds).
    flat = [o for _, objs in rendered_objects for o in objs]
    mutants = []
    for kind, what, edit in SCHEMA_MUTATIONS:
        original = next((o for o in flat if o.get("kind") == kind), None)
        if not c.check(original is not None, "deploy/schema", f"no {kind} to mutate"):
            continue
        bad = copy.deepcopy(original)
        try:
            edit(bad)
        except (KeyError, IndexError, TypeError) as e:
            c.check(False, "deploy/schema", f"mutation '{what}' does not apply: {e!r}")
            continue
        mutants.append({"source": f"{MUTANT_SOURCE}'{what}'", "object": bad})
    proc = run_node(node, schema, entries + mutants)
    summary = re.search(r"^schema: (\d+) objects, (\d+) failed$", proc.stdout, re.M)
    if not c.check(summary is not None, "deploy/schema",
                   f"check.js ended without a summary: {(proc.stdout + proc.stderr)[-2000:]}"):
        return
    fails = [line for line in proc.stdout.splitlines() if line.startswith("FAIL ")]
    for line in fails:
        if not line.startswith(f"FAIL {MUTANT_SOURCE}"):
            print(line)
    rejected = [m for m in mutants if any(line.startswith(f"FAIL {m['source']} ") for line in fails)]
    for m in mutants:
        c.check(m in rejected, "deploy/schema",
                f"the schema check accepted a manifest with {m['source']}")
    total, failed = int(summary.group(1)), int(summary.group(2)) - len(rejected)
    c.check(total == len(entries) + len(mutants), "deploy/schema",
            f"check.js saw {total} of {len(entries) + len(mutants)} objects")
    c.passed += len(entries) - failed
    c.failed += failed
    c.check((proc.returncode == 0) == (failed + len(rejected) == 0), "deploy/schema",
            f"check.js exit status {proc.returncode} with {failed + len(rejected)} failures")


# The source name of SCHEMA_MUTATIONS' objects in check.js's input and output.
MUTANT_SOURCE = "mutation "


def run_node(node, schema, entries):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(entries, f)
        listing = f.name
    try:
        return subprocess.run([node, os.path.join(schema, "check.js"), listing],
                              capture_output=True, text=True)
    finally:
        os.unlink(listing)


def check_dockerfile(c, path, root):
    label = os.path.relpath(path, root)
    if not c.check(os.path.isfile(path), label, "missing"):
        return
    text = open(path, encoding="utf-8").read()
    # Join continuation lines, drop comments.
    logical, buf = [], ""
    for line in text.splitlines():
        s = line.strip()
        if not buf and (not s or s.startswith("#")):
            continue
        if s.startswith("#"):
            continue
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        logical.append(buf + s)
        buf = ""
    stages, users, froms = [], [], []
    for ins in logical:
        op, _, rest = ins.partition(" ")
        op = op.upper()
        if op == "FROM":
            m = re.match(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", rest, re.I)
            image, alias = m.group(1), m.group(2)
            froms.append(image)
            if image not in stages:
                tag = image.split("@")[0].rsplit(":", 1)[-1] if ":" in image else ""
                c.check("@sha256:" in image or re.match(r"\d+\.\d+", tag) is not None, label,
                        f"FROM {image}: base image tag is not pinned (point release or digest)")
                c.check(image.split("@")[0].rsplit(":", 1)[0].split("/")[-1] == "debian",
                        label, f"FROM {image}: base is not debian")
            if alias:
                stages.append(alias)
            users.append(None)
        elif op == "USER":
            users[-1] = rest.strip()
        elif op == "RUN":
            if re.search(r"\bapt-get\s+(?:-\S+\s+)*install\b", rest):
                c.check("--no-install-recommends" in rest, label,
                        f"apt-get install without --no-install-recommends: {rest[:80]}…")
                c.check("rm -rf /var/lib/apt/lists" in rest, label,
                        "apt-get install without removing /var/lib/apt/lists in the same RUN")
                c.check(re.search(r"\bapt-get\s+update\b", rest) is not None, label,
                        "apt-get install without apt-get update in the same RUN")
            c.check(not re.search(r"\bapt\s+install\b", rest), label, "use apt-get, not apt")
            c.check(not re.search(r"\b(curl|wget)\b.*\|\s*(ba)?sh\b", rest), label,
                    "piping a download into a shell")
        elif op in ("ADD",):
            c.check(not re.match(r"https?://", rest.strip()), label, "ADD of a URL")
    c.check(":latest" not in text, label, "a 'latest' tag")
    c.check(len(froms) >= 2, label, "not a multi-stage build")
    final_user = users[-1] if users else None
    m = re.fullmatch(r"(\d+)(?::(\d+))?", final_user or "")
    c.check(bool(m) and int(m.group(1)) != 0, label,
            f"final stage USER is '{final_user}', not a numeric non-root uid")
    c.check(re.search(r"^ARG SERVICE\b", text, re.M) is not None, label, "no ARG SERVICE")
    c.check(re.search(r"^(ENTRYPOINT|CMD)\s*\[", text, re.M) is not None, label,
            "no exec-form ENTRYPOINT/CMD")


def fetch_debian_kubectl(cache):
    """Debian's kubectl (package kubernetes-client: 1.20 with kustomize v2 in Debian 12), fetched
    with `apt-get download` into `cache` once and unpacked there with `dpkg -x` (no install, no
    root needed, nothing from outside the Debian archive). Returns its path, or None after
    saying why."""
    kubectl = os.path.join(cache, "root", "usr", "bin", "kubectl")
    if os.access(kubectl, os.X_OK):
        return kubectl
    apt, dpkg = shutil.which("apt-get"), shutil.which("dpkg")
    if not apt or not dpkg:
        print("validate_deploy: apt-get/dpkg missing: cannot fetch kubernetes-client", file=sys.stderr)
        return None
    os.makedirs(cache, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        os.chmod(tmp, 0o755)  # apt's _apt user downloads into it when it can
        proc = subprocess.run([apt, "download", "kubernetes-client"], cwd=tmp,
                              capture_output=True, text=True)
        if proc.returncode != 0 and os.geteuid() == 0:
            # A machine whose package lists were never fetched knows no kubernetes-client yet.
            subprocess.run([apt, "update", "-q"], capture_output=True, text=True)
            proc = subprocess.run([apt, "download", "kubernetes-client"], cwd=tmp,
                                  capture_output=True, text=True)
        debs = [f for f in os.listdir(tmp) if f.startswith("kubernetes-client_") and f.endswith(".deb")]
        if proc.returncode != 0 or len(debs) != 1:
            print(f"validate_deploy: apt-get download kubernetes-client failed (exit "
                  f"{proc.returncode}): {proc.stderr.strip()[-1000:]}", file=sys.stderr)
            return None
        proc = subprocess.run([dpkg, "-x", debs[0], "root"], cwd=tmp, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"validate_deploy: dpkg -x {debs[0]} failed: {proc.stderr.strip()}", file=sys.stderr)
            return None
        with open(os.path.join(tmp, "root", "PACKAGE"), "w") as f:
            f.write(debs[0] + "\n")
        try:
            os.rename(os.path.join(tmp, "root"), os.path.join(cache, "root"))
        except OSError:
            pass  # a parallel run unpacked it first
    return kubectl if os.access(kubectl, os.X_OK) else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    ap.add_argument("--kubectl", default=os.environ.get("KUBECTL") or shutil.which("kubectl"))
    ap.add_argument("--rabbitmq-permissions", action="store_true",
                    help="print the per-service RabbitMQ permissions of deploy/k8s/infra as "
                         "'service<TAB>configure<TAB>write<TAB>read' lines and exit "
                         "(common_amqp_permissions_pgtest applies them to a real broker)")
    ap.add_argument("--debian-kubectl", metavar="CACHE",
                    help="render with Debian's kubectl instead: package kubernetes-client, "
                         "fetched by apt-get download into CACHE once (ctest "
                         "deploy_manifests_debian_kubectl_test); under CI=true failing to "
                         "fetch it fails")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    if args.debian_kubectl:
        args.kubectl = fetch_debian_kubectl(os.path.abspath(args.debian_kubectl))
        if args.kubectl is None:
            return 2 if os.environ.get("CI") == "true" else SKIP
        version = subprocess.run([args.kubectl, "version", "--client"], capture_output=True,
                                 text=True).stdout.strip()
        package = open(os.path.join(os.path.dirname(args.kubectl), "..", "..", "PACKAGE")).read()
        print(f"validate_deploy: Debian's {package.strip()}: {version[:120]}")
    if not args.kubectl or not shutil.which(args.kubectl):
        print("validate_deploy: kubectl not found (Debian package kubernetes-client)",
              file=sys.stderr)
        return 2 if os.environ.get("CI") == "true" else SKIP
    if args.rabbitmq_permissions:
        c = Checks()
        objs = render(c, args.kubectl, os.path.join(root, "deploy", "k8s", "infra"), "infra")
        for o in objs:
            if o.get("kind") == "Permission":
                svc = (o["metadata"].get("labels") or {}).get("stellenwerk.de/service", "")
                p = o["spec"]["permissions"]
                print("\t".join([svc, p.get("configure", ""), p.get("write", ""), p.get("read", "")]))
        return 1 if c.failed else 0
    c = Checks()
    check_dockerfile(c, os.path.join(root, "deploy", "docker", "Dockerfile"), root)
    k8s = os.path.join(root, "deploy", "k8s")
    dirs = [os.path.join(k8s, d) for d in ("base", "infra", "observability")]
    base = render(Checks(), args.kubectl, dirs[0], "deploy/k8s/base")
    STELLENWERK_SERVICES.update(
        o["metadata"]["name"] for o in base if o.get("kind") == "Deployment"
        and (o["metadata"].get("labels") or {}).get("app.kubernetes.io/part-of") == "stellenwerk")
    c.check(len(STELLENWERK_SERVICES) >= 3, "deploy/k8s/base",
            f"found only {sorted(STELLENWERK_SERVICES)} as Stellenwerk Deployments")
    overlays = os.path.join(k8s, "overlays")
    found = sorted(os.listdir(overlays)) if os.path.isdir(overlays) else []
    c.check({"dev", "prod"} <= set(found), "deploy/k8s/overlays", "dev and prod overlays expected")
    dirs += [os.path.join(overlays, d) for d in found]
    rendered = {}
    rendered_objects = []
    for d in dirs:
        label = os.path.relpath(d, root)
        objs = render(c, args.kubectl, d, label)
        rendered_objects.append((label, objs))
        rendered[label] = check_objects(c, label, objs)
    check_schemas(c, root, rendered_objects)
    prod_objs = dict(rendered_objects).get("deploy/k8s/overlays/prod", [])
    configmaps = {(o["metadata"].get("namespace"), o["metadata"]["name"]): o.get("data") or {}
                  for o in prod_objs if o.get("kind") == "ConfigMap"}
    check_mutations(c, "deploy/k8s/overlays/prod", prod_objs, NETWORK_MUTATIONS,
                    [lambda probe, bad: check_data_network(probe, "mutant", bad, configmaps),
                     lambda probe, bad: check_pooler(probe, "mutant", bad, configmaps)],
                    "data-namespace policy")
    check_mutations(c, "deploy/k8s/overlays/prod", prod_objs, REDIS_AUTH_MUTATIONS,
                    [lambda probe, bad: check_redis_auth(probe, "mutant", bad)], "Redis AUTH")
    check_admitted_overlay(c, args.kubectl, dirs[1],
                           dict(rendered_objects).get("deploy/k8s/infra", []))
    prod = rendered.get("deploy/k8s/overlays/prod", {})
    cms = [o for o in prod.get("ConfigMap", []) if o["metadata"]["name"].startswith("stellenwerk-config")]
    c.check(any((o.get("data") or {}).get("STELLENWERK_AMQP_QUEUE_TYPE") == "quorum" for o in cms),
            "deploy/k8s/overlays/prod", "STELLENWERK_AMQP_QUEUE_TYPE is not quorum")
    for kind in ("RabbitmqCluster", "Cluster", "PrometheusRule", "ServiceMonitor"):
        c.check(bool(prod.get(kind)), "deploy/k8s/overlays/prod", f"no {kind}")
    for o in prod.get("Cluster", []):
        c.check("barmanObjectStore" in ((o.get("spec") or {}).get("backup") or {}),
                "deploy/k8s/overlays/prod", "CloudNativePG Cluster without barmanObjectStore backup")
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
