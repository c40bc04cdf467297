// Validates every object of deploy/k8s/*.yaml offline against the Kubernetes
// JSON schemas shipped by npm kubernetes-models (4.5.1: Kubernetes 1.30's
// OpenAPI). Objects kubernetes-models does not model are checked here:
// the kustomization (its resources exist) and the ServiceMonitor (the fields
// Prometheus Operator requires). Also checks the cross-object rules of the
// deployment: probes on the ops port, terminationGracePeriodSeconds above
// preStop + http.shutdown_grace_ms, no secret value in a ConfigMap.
// usage: node validate_k8s.js NODE_MODULES_DIR K8S_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const [nodeModules, dir] = process.argv.slice(2).map((p) => path.resolve(p));
const req = (m) => require(path.join(nodeModules, m));
const yaml = req('js-yaml');

let errors = 0, count = 0;
const fail = (where, msg) => { errors++; console.error(`FAIL ${where}: ${msg}`); };
const objects = [];
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
  for (const doc of yaml.loadAll(fs.readFileSync(path.join(dir, file), 'utf8'))) {
    if (doc) objects.push({ file, doc });
  }
}

function modelOf(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const mod = path.join('kubernetes-models', group, version, kind);
  try { return req(mod)[kind]; } catch (e) { return null; }
}

for (const { file, doc } of objects) {
  const where = `${file} ${doc.kind}/${doc.metadata && doc.metadata.name}`;
  count++;
  if (doc.kind === 'Kustomization') {
    for (const r of doc.resources || []) {
      if (!fs.existsSync(path.join(dir, r))) fail(where, `resource ${r} does not exist`);
    }
    continue;
  }
  if (doc.kind === 'ServiceMonitor') {
    if (doc.apiVersion !== 'monitoring.coreos.com/v1') fail(where, 'apiVersion must be monitoring.coreos.com/v1');
    const s = doc.spec || {};
    if (!s.selector || typeof s.selector !== 'object') fail(where, 'spec.selector is required');
    if (!Array.isArray(s.endpoints) || s.endpoints.length === 0) fail(where, 'spec.endpoints is required');
    for (const e of s.endpoints || []) if (!e.port && !e.targetPort) fail(where, 'an endpoint needs port or targetPort');
    continue;
  }
  const Model = modelOf(doc.apiVersion, doc.kind);
  if (!Model) { fail(where, `no schema for ${doc.apiVersion} ${doc.kind}`); continue; }
  try { new Model(doc).validate(); } catch (e) { fail(where, e.message); }
}

// Deployment rules of issue 16.
const configMap = objects.find((o) => o.doc.kind === 'ConfigMap');
const toml = configMap ? Object.values(configMap.doc.data || {}).join('\n') : '';
const grace = Number((/shutdown_grace_ms\s*=\s*(\d+)/.exec(toml) || [0, 10000])[1]);
if (/password\s*=|pepper\s*=\s*"[^"]/i.test(toml)) fail('ConfigMap', 'holds a secret value');
for (const { file, doc } of objects.filter((o) => o.doc.kind === 'Deployment')) {
  const where = `${file} Deployment/${doc.metadata.name}`;
  const spec = doc.spec.template.spec;
  for (const c of spec.containers) {
    for (const p of ['readinessProbe', 'livenessProbe']) if (!c[p]) fail(where, `${c.name} has no ${p}`);
    if (!c.resources || !c.resources.requests) fail(where, `${c.name} has no resource requests`);
    const pre = c.lifecycle && c.lifecycle.preStop;
    if (!pre) fail(where, `${c.name} has no preStop`);
    const preSeconds = pre && pre.sleep ? pre.sleep.seconds : 0;
    const need = preSeconds + grace / 1000;
    if (!(spec.terminationGracePeriodSeconds >= need)) {
      fail(where, `terminationGracePeriodSeconds ${spec.terminationGracePeriodSeconds} < preStop ${preSeconds} s + shutdown_grace_ms ${grace}`);
    }
  }
  const name = doc.metadata.name;
  if (!objects.some((o) => o.doc.kind === 'PodDisruptionBudget' && o.doc.metadata.name === name)) fail(where, 'no PodDisruptionBudget');
  if (!objects.some((o) => o.doc.kind === 'HorizontalPodAutoscaler' && o.doc.spec.scaleTargetRef.name === name)) fail(where, 'no HorizontalPodAutoscaler');
}
const workerHpa = objects.find((o) => o.doc.kind === 'HorizontalPodAutoscaler' && o.doc.spec.scaleTargetRef.name === 'sluice-worker');
if (!workerHpa || !JSON.stringify(workerHpa.doc.spec.metrics).includes('sluice_subscription_lag_messages')) {
  fail('HPA sluice-worker', 'does not scale on sluice_subscription_lag_messages');
}
for (const kind of ['Job', 'Secret', 'NetworkPolicy', 'ServiceMonitor', 'ConfigMap']) {
  if (!objects.some((o) => o.doc.kind === kind)) fail('deploy/k8s', `no ${kind}`);
}
console.log(`k8s: ${count} objects checked, ${errors} errors`);
process.exit(errors ? 1 : 0);
