#!/usr/bin/env python3
"""Checks the deploy/ recipes without a cluster, a Docker daemon or GitHub.

Usage: check_deploy.py SOURCE_DIR

- deploy/Dockerfile: its build stage installs every package .ci/setup installs (it runs
  .ci/setup, or lists them all), and its runtime stage installs the libraries the binary links.
- deploy/kubernetes: the manifests parse; the agents Job is Indexed with completions ==
  parallelism == N (the kustomization's one "agents" value, copied there by a replacement); its
  shell wrapper, run here with a stub streamharness, passes "--agent k+1/N" for every
  JOB_COMPLETION_INDEX k; the merge Job's wrapper passes exactly /reports/agent-1..N; the
  workload has a producer for each agent (streamharness refuses fewer).
- deploy/github-actions-agents.yml: parses; its matrix size equals the number of directories
  merged, the agents' directories are the ones merged, and the workload has a producer for each.
- With kubectl on PATH: the kustomization renders offline (also with another N), and
  `kubectl apply --dry-run=client` is tried; kubectl needs an API server for that (discovery),
  so without one that part is skipped with the reason printed.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import yaml  # Debian's python3-yaml, installed by .ci/setup

failures = []


def check(condition, message):
    print(("ok    " if condition else "FAIL  ") + message)
    if not condition:
        failures.append(message)
    return condition


def skip(message):
    print("SKIP  " + message)


# --- .ci/setup and the Dockerfile ---------------------------------------------------------

def setup_packages(source):
    text = open(os.path.join(source, ".ci/setup")).read()
    match = re.search(r"^packages=\((.*?)\)", text, re.S | re.M)
    if not match:
        raise SystemExit("cannot find the packages=( ... ) list in .ci/setup")
    # ${EXTRA_PACKAGES:-} is a stage's addition (the fuzz stage's clang), not a package.
    return [word for word in match.group(1).split() if not word.startswith("$")]


def dockerfile_stages(path):
    """[(FROM line, [instructions with continuations joined])] in order."""
    stages = []
    logical = ""
    for line in open(path):
        stripped = line.strip()
        if not logical and (not stripped or stripped.startswith("#")):
            continue
        if logical and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        logical += stripped
        if logical.upper().startswith("FROM "):
            stages.append((logical, []))
        elif stages:
            stages[-1][1].append(logical)
        logical = ""
    return stages


def apt_installed(instructions):
    packages = set()
    for instruction in instructions:
        if not instruction.upper().startswith("RUN "):
            continue
        for command in re.split(r"&&|;|\|\|", instruction[4:]):
            words = shlex.split(command)
            if "apt-get" in words and "install" in words:
                after = words[words.index("install") + 1:]
                packages.update(w for w in after if not w.startswith("-") and ">" not in w)
    return packages


def check_dockerfile(source):
    path = os.path.join(source, "deploy/Dockerfile")
    stages = dockerfile_stages(path)
    if not check(len(stages) >= 2, "Dockerfile: multi-stage (build and runtime)"):
        return
    for from_line, _ in stages:
        check(re.search(r"debian:(bookworm|12)\b", from_line) is not None,
              f"Dockerfile: '{from_line}' is Debian bookworm, like CI")
    build, runtime = stages[0][1], stages[-1][1]

    runs_setup = [i for i in build if i.upper().startswith("RUN ") and
                  re.search(r"\bbash\s+(\./)?\.ci/setup\b", i)]
    wanted = setup_packages(source)
    if runs_setup:
        copies_tree = any(re.match(r"COPY\s+\.\s+", i, re.I) or ".ci" in i
                          for i in build[:build.index(runs_setup[0])] if i.upper().startswith("COPY"))
        check(copies_tree, "Dockerfile: the build stage copies the tree before running .ci/setup")
        check("streamharness" in runs_setup[0],
              "Dockerfile: .ci/setup builds the streamharness target (BUILD_TARGETS)")
        print(f"      (.ci/setup installs its own list: {' '.join(wanted)})")
    else:
        missing = sorted(set(wanted) - apt_installed(build))
        check(not missing, "Dockerfile: the build stage installs every package of .ci/setup"
              + (f" (missing: {' '.join(missing)})" if missing else ""))

    # `ldd streamharness`: libhiredis.so.0.14 and libssl.so.3/libcrypto.so.3 beyond libc and
    # the C++ runtime; bookworm's package names for them.
    runtime_packages = apt_installed(runtime)
    for package in ("libhiredis0.14", "libssl3"):
        check(package in runtime_packages, f"Dockerfile: the runtime stage installs {package}")
    check(not any(p.endswith("-dev") for p in runtime_packages),
          "Dockerfile: the runtime stage installs no -dev package")
    check(any(i.upper().startswith("COPY") and "--from=" in i and "workloads" in i for i in runtime),
          "Dockerfile: the runtime stage copies workloads/")
    check(any(re.match(r'ENTRYPOINT\s+\[\s*"[^"]*streamharness"\s*\]', i) for i in runtime),
          "Dockerfile: the entrypoint is streamharness")
    ignore = os.path.join(source, "deploy/Dockerfile.dockerignore")
    check(os.path.exists(ignore) and "build*" in open(ignore).read().split(),
          "Dockerfile.dockerignore keeps build trees out of the context")


# --- Kubernetes -----------------------------------------------------------------------------

def load_documents(path):
    with open(path) as stream:
        return [d for d in yaml.safe_load_all(stream) if d is not None]


def find(documents, kind, name):
    for document in documents:
        if document.get("kind") == kind and document.get("metadata", {}).get("name") == name:
            return document
    return None


def container_env(container):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def run_wrapper(container, env, reports_dir):
    """Runs the container's `sh -c` script with a stub streamharness; returns (rc, argv)."""
    command = container["command"]
    if not (len(command) == 3 and command[0].endswith("sh") and command[1] == "-c"):
        raise AssertionError(f"not a /bin/sh -c wrapper: {command}")
    # The volume is mounted at /reports; here it is a temporary directory.
    script = command[2].replace("/reports", reports_dir)
    with tempfile.TemporaryDirectory() as stub_dir:
        record = os.path.join(stub_dir, "argv")
        stub = os.path.join(stub_dir, "streamharness")
        with open(stub, "w") as out:
            out.write('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > "$RECORD"\n')
        os.chmod(stub, 0o755)
        full_env = {"PATH": stub_dir + ":/usr/bin:/bin", "RECORD": record, **env}
        result = subprocess.run(["/bin/sh", "-c", script], env=full_env,
                                capture_output=True, text=True, timeout=30)
        argv = open(record).read().splitlines() if os.path.exists(record) else None
        return result.returncode, argv


def option(argv, name):
    return argv[argv.index(name) + 1] if name in argv and argv.index(name) + 1 < len(argv) else None


def producers(workload_path, argv):
    """The workload's producers.count after the command line's --set overrides."""
    import json
    count = json.load(open(workload_path))["producers"].get("count", 1)
    for i, word in enumerate(argv[:-1]):
        if word == "--set" and argv[i + 1].startswith("producers.count="):
            count = int(argv[i + 1].split("=", 1)[1])
    return count


def check_kubernetes(source):
    base = os.path.join(source, "deploy/kubernetes")
    documents = {}
    for directory, _, files in os.walk(base):
        for name in sorted(files):
            if name.endswith((".yaml", ".yml")):
                path = os.path.join(directory, name)
                try:
                    documents[os.path.relpath(path, base)] = load_documents(path)
                except yaml.YAMLError as error:
                    check(False, f"kubernetes/{os.path.relpath(path, base)} parses: {error}")
    check(documents, "kubernetes: manifests found and parsed: " + ", ".join(sorted(documents)))
    for rel, docs in documents.items():
        for document in docs:
            check(all(k in document for k in ("apiVersion", "kind")),
                  f"kubernetes/{rel}: {document.get('kind')} has apiVersion and kind")

    kustomization = documents["kustomization.yaml"][0]
    merge_kustomization = documents["merge/kustomization.yaml"][0]
    run_config = next(g for g in kustomization["configMapGenerator"]
                      if g["name"] == "streamharness-run")
    literals = dict(l.split("=", 1) for l in run_config["literals"])
    agents = int(literals["agents"])
    check(agents >= 2, f"kustomization: N = {agents} agents")

    resources = [d for r in kustomization["resources"] for d in documents[r]]
    job = find(resources, "Job", "streamharness-agents")
    spec = job["spec"]
    check(spec.get("completionMode") == "Indexed", "agents Job: completionMode Indexed")
    check(spec.get("completions") == spec.get("parallelism") == agents,
          f"agents Job: completions == parallelism == N in the file itself "
          f"({spec.get('completions')}, {spec.get('parallelism')}, {agents})")
    replaced = [t for r in kustomization.get("replacements", [])
                if r["source"] == {"kind": "ConfigMap", "name": "streamharness-run",
                                   "fieldPath": "data.agents"}
                for t in r["targets"]
                if t["select"] == {"kind": "Job", "name": "streamharness-agents"}]
    fields = {f for t in replaced for f in t["fieldPaths"]}
    check(fields == {"spec.completions", "spec.parallelism"},
          "kustomization: a replacement copies 'agents' into completions and parallelism")

    pod = spec["template"]["spec"]
    check(pod.get("restartPolicy") == "Never", "agents Job: restartPolicy Never")
    container = pod["containers"][0]
    env = container_env(container)
    check(env.get("AGENTS") == {"configMapKeyRef": {"name": "streamharness-run", "key": "agents"}},
          "agents Job: AGENTS comes from the ConfigMap's 'agents'")
    check("secretKeyRef" in (env.get("STREAMHARNESS_REDIS_PASSWORD") or {}),
          "agents Job: STREAMHARNESS_REDIS_PASSWORD comes from a Secret")
    check("JOB_COMPLETION_INDEX" in container["command"][-1],
          "agents Job: the wrapper uses JOB_COMPLETION_INDEX")

    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    claim = volumes[mounts["/reports"]]["persistentVolumeClaim"]["claimName"]
    pvc = find(resources, "PersistentVolumeClaim", claim)
    check(pvc is not None and pvc["spec"]["accessModes"] == ["ReadWriteMany"],
          f"agents Job: /reports is the ReadWriteMany claim {claim}")
    workload_mount = next(p for p, n in mounts.items() if "configMap" in volumes[n])
    workload_map = volumes[mounts[workload_mount]]["configMap"]["name"]
    generated = next((g for g in kustomization["configMapGenerator"] if g["name"] == workload_map),
                     None)
    workload_key, workload_file = (generated or {}).get("files", ["="])[0].split("=", 1)
    check(generated is not None and os.path.exists(os.path.join(base, workload_file)),
          f"agents Job: the workload ConfigMap {workload_map} holds {workload_file}")

    secret_password = "s3cret-do-not-print"
    with tempfile.TemporaryDirectory() as reports:
        common = {"AGENTS": str(agents), "RUN_ID": "r-test", "REDIS_URL": "redis://redis:6379",
                  "STREAMHARNESS_REDIS_PASSWORD": secret_password}
        agent_dirs = []
        for index in range(agents):
            rc, argv = run_wrapper(container, {**common, "JOB_COMPLETION_INDEX": str(index)},
                                   reports)
            ok = rc == 0 and argv is not None
            check(ok and argv[0] == "run" and option(argv, "--agent") == f"{index + 1}/{agents}"
                  and option(argv, "--run-id") == "r-test"
                  and option(argv, "--redis") == "redis://redis:6379"
                  and argv[1] == f"{workload_mount}/{workload_key}"
                  and secret_password not in argv,
                  f"agents Job: JOB_COMPLETION_INDEX={index} runs "
                  f"'{' '.join(argv) if argv else rc}'")
            agent_dirs.append(option(argv, "--out") if ok else None)
        if argv:
            count = producers(os.path.join(base, workload_file), argv)
            # streamharness refuses (exit 2) more agents than producers: each runs one at least.
            check(count >= agents, f"agents Job: the workload's {count} producers cover N={agents}")
        check(agent_dirs == [f"{reports}/agent-{i}" for i in range(1, agents + 1)],
              "agents Job: agent I writes /reports/agent-I")
        os.makedirs(f"{reports}/agent-1")
        open(f"{reports}/agent-1/report.json", "w").close()
        rc, argv = run_wrapper(container, {**common, "JOB_COMPLETION_INDEX": "0"}, reports)
        check(rc == 2 and argv is None,
              "agents Job: refuses (exit 2) to run over an earlier run's report")

        merge_docs = [d for r in merge_kustomization["resources"]
                      for d in documents[os.path.join("merge", r)]]
        merge_job = find(merge_docs, "Job", "streamharness-merge")
        merge_pod = merge_job["spec"]["template"]["spec"]
        merge_container = merge_pod["containers"][0]
        merge_env = container_env(merge_container)
        check(merge_env.get("AGENTS") == env.get("AGENTS"),
              "merge Job: N from the same ConfigMap key as the agents")
        check(merge_env.get("STREAMHARNESS_REDIS_PASSWORD") == env.get("STREAMHARNESS_REDIS_PASSWORD"),
              "merge Job: the password from the same Secret as the agents")
        merge_volumes = {v["name"]: v for v in merge_pod["volumes"]}
        merge_mounts = {m["mountPath"]: m["name"] for m in merge_container["volumeMounts"]}
        check(merge_volumes[merge_mounts["/reports"]]["persistentVolumeClaim"]["claimName"] == claim,
              "merge Job: mounts the agents' reports claim at /reports")
        rc, argv = run_wrapper(merge_container, common, reports)
        if check(rc == 0 and argv is not None and argv[0] == "merge",
                 f"merge Job: runs '{' '.join(argv) if argv else rc}'"):
            dirs = argv[1:argv.index("--redis")] if "--redis" in argv else argv[1:]
            check(dirs == agent_dirs and len(dirs) == agents,
                  f"merge Job: names exactly the N={agents} agents' directories")
            check(option(argv, "--out") == f"{reports}/merged" and secret_password not in argv,
                  "merge Job: writes /reports/merged, no password in argv")
    reader = documents["report-reader.yaml"][0]["spec"]
    check([v["persistentVolumeClaim"]["claimName"] for v in reader["volumes"]] == [claim],
          "report-reader.yaml mounts the reports claim")
    check(merge_kustomization.get("images") == kustomization.get("images"),
          "merge/kustomization.yaml names the same image as the agents'")
    return agents


def check_kubectl(source, agents):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        skip("kubectl not on PATH: the kustomization is not rendered and no dry-run apply")
        return
    with tempfile.TemporaryDirectory() as tmp:
        # A copy with another N, to see the replacement reach the Job (the workload path is
        # relative: ../../workloads).
        shutil.copytree(os.path.join(source, "deploy"), os.path.join(tmp, "deploy"))
        shutil.copytree(os.path.join(source, "workloads"), os.path.join(tmp, "workloads"))
        other = agents + 2
        kpath = os.path.join(tmp, "deploy/kubernetes/kustomization.yaml")
        text = open(kpath).read()
        open(kpath, "w").write(re.sub(r"- agents=\d+", f"- agents={other}", text, count=1))
        for directory, n in ((os.path.join(source, "deploy/kubernetes"), agents),
                             (os.path.join(tmp, "deploy/kubernetes"), other)):
            result = subprocess.run([kubectl, "kustomize", "--load-restrictor",
                                     "LoadRestrictionsNone", directory],
                                    capture_output=True, text=True, timeout=60)
            if not check(result.returncode == 0, f"kubectl kustomize renders (N={n})"
                         + (f": {result.stderr.strip()}" if result.returncode else "")):
                continue
            rendered = list(yaml.safe_load_all(result.stdout))
            job = find(rendered, "Job", "streamharness-agents")["spec"]
            check(job["completions"] == job["parallelism"] == n,
                  f"rendered agents Job: completions == parallelism == {n}")
            images = {c["image"] for d in rendered if d["kind"] == "Job"
                      for c in d["spec"]["template"]["spec"]["containers"]}
            check(all(":" in i for i in images), f"rendered image set by the kustomization: {images}")
        merge = subprocess.run([kubectl, "kustomize", os.path.join(source, "deploy/kubernetes/merge")],
                               capture_output=True, text=True, timeout=60)
        check(merge.returncode == 0, "kubectl kustomize renders the merge Job")

        rendered_path = os.path.join(tmp, "all.yaml")
        full = subprocess.run([kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone",
                               os.path.join(source, "deploy/kubernetes")],
                              capture_output=True, text=True, timeout=60)
        open(rendered_path, "w").write(full.stdout + "---\n" + merge.stdout)
        # A kubeconfig that points nowhere: the test never talks to a cluster the machine
        # happens to be configured for.
        kubeconfig = os.path.join(tmp, "kubeconfig")
        open(kubeconfig, "w").write(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: none\n  cluster:\n"
            "    server: https://127.0.0.1:1\ncontexts:\n- name: none\n  context:\n"
            "    cluster: none\n    user: none\ncurrent-context: none\n"
            "users:\n- name: none\n  user:\n    token: none\n")
        try:
            result = subprocess.run([kubectl, "--kubeconfig", kubeconfig, "apply",
                                     "--dry-run=client", "--validate=false", "-f", rendered_path],
                                    stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                    timeout=90)
        except subprocess.TimeoutExpired:
            skip("kubectl apply --dry-run=client: timed out waiting for an API server")
            return
        output = result.stdout + result.stderr
        if result.returncode == 0:
            check(True, "kubectl apply --dry-run=client accepts the manifests")
        elif re.search(r"connection refused|unable to recognize|couldn't get current server API "
                       r"group list|dial tcp", output):
            skip("kubectl apply --dry-run=client: even client-side dry runs ask an API server "
                 "for its resource types (discovery), and there is none here: "
                 + output.strip().splitlines()[-1])
        else:
            check(False, f"kubectl apply --dry-run=client: {output.strip()}")


# --- GitHub Actions -------------------------------------------------------------------------

def check_github_actions(source, kubernetes_agents):
    workflow = yaml.safe_load(open(os.path.join(source, "deploy/github-actions-agents.yml")))
    check(isinstance(workflow, dict) and "jobs" in workflow
          and (True in workflow or "on" in workflow),  # YAML 1.1 reads the key `on` as true
          "github-actions-agents.yml parses as a workflow")
    jobs = workflow["jobs"]
    matrix = jobs["agents"]["strategy"]["matrix"]["agent"]
    size = len(matrix)
    check(matrix == list(range(1, size + 1)), f"actions: matrix agent = 1..{size}")
    agent_steps = [s for s in jobs["agents"]["steps"] if "streamharness run" in s.get("run", "")]
    run = agent_steps[0]["run"] if agent_steps else ""
    check('--agent "${{ matrix.agent }}/${{ strategy.job-total }}"' in run,
          "actions: each agent runs --agent I/N with N = the matrix size")
    words = shlex.split(run.replace("${{", "").replace("}}", ""))
    workload = os.path.join(source, workflow["env"]["WORKLOAD"])
    count = producers(workload, words)
    check(count >= size, f"actions: the workload's {count} producers cover {size} agents")
    out = re.search(r'--out "([^"]+)"', run)
    uploads = [s for s in jobs["agents"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    check(out is not None and uploads and uploads[0]["with"]["path"] == out.group(1)
          and uploads[0]["with"]["name"] == "agent-${{ matrix.agent }}",
          "actions: each agent uploads its --out directory as artifact agent-<I>")

    merge = jobs["merge"]
    needs = merge["needs"] if isinstance(merge["needs"], list) else [merge["needs"]]
    check("agents" in needs, "actions: merge needs the agents")
    downloads = [s for s in merge["steps"] if s.get("with", {}).get("pattern") == "agent-*"]
    check(downloads and downloads[0]["with"]["path"] == "agents",
          "actions: merge downloads the agent-* artifacts into agents/<name>")
    merge_runs = [s for s in merge["steps"] if "streamharness merge" in s.get("run", "")]
    merge_run = merge_runs[0]["run"] if merge_runs else ""
    dirs = re.findall(r"(\S+/agent-\d+)", merge_run)
    check(dirs == [f"agents/agent-{i}" for i in range(1, size + 1)],
          f"actions: merge names agents/agent-1..{size}, one each (matrix size {size})")
    check(merge_runs and "continue-on-error" not in merge_runs[0] and "|| true" not in merge_run,
          "actions: merge's exit code fails the workflow")
    for job_name, command in (("agents", "streamharness run"), ("merge", "streamharness merge")):
        for step in jobs[job_name]["steps"]:
            if command in step.get("run", ""):
                check("PASSWORD" not in step["run"],
                      f"actions: {job_name}: the password stays out of argv (environment only)")
    if size != kubernetes_agents:
        print(f"      (N differs: matrix {size}, kubernetes {kubernetes_agents}; both are examples)")


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    source = os.path.abspath(sys.argv[1])
    check_dockerfile(source)
    agents = check_kubernetes(source)
    check_kubectl(source, agents)
    check_github_actions(source, agents)
    if failures:
        print(f"\n{len(failures)} check(s) failed:\n  " + "\n  ".join(failures))
        return 1
    print("\nall deploy checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
