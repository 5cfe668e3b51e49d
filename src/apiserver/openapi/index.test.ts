import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../api/resources.js';
import { openapiV2, openapiV2Acceptable, openapiV3Doc, openapiV3Index, openapiV3Paths } from './index.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('the v3 index points at every group-version with its content hash', () => {
  const idx = openapiV3Index() as { paths: Record<string, { serverRelativeURL: string }> };
  assert.deepEqual(Object.keys(idx.paths), openapiV3Paths());
  for (const [p, entry] of Object.entries(idx.paths)) {
    const doc = openapiV3Doc(p)!;
    assert.match(doc.hash, /^[0-9A-F]{128}$/);
    assert.equal(entry.serverRelativeURL, `/openapi/v3/${p}?hash=${doc.hash}`);
  }
  assert.equal(openapiV3Doc('apis/nope/v1'), undefined);
  assert.equal(openapiV3Doc('/api/v1/')?.hash, openapiV3Doc('api/v1')?.hash);
});

test('every kind has a PATCH operation with its GVK and fieldValidation, and its schema', () => {
  for (const info of resources) {
    const gvPath = info.group ? `apis/${info.group}/${info.version}` : `api/${info.version}`;
    const doc = JSON.parse(openapiV3Doc(gvPath)!.json) as Obj;
    assert.equal(doc.openapi, '3.0.0');
    const patches = Object.values(doc.paths as Obj)
      .map((item: Obj) => item.patch)
      .filter((op: Obj | undefined) => op && op['x-kubernetes-group-version-kind'].kind === info.kind && op['x-kubernetes-group-version-kind'].group === info.group);
    assert.ok(patches.length >= 1, `no PATCH for ${info.kind}`);
    for (const op of patches) {
      const names = (op.parameters as Obj[]).map((p) => p.name);
      for (const n of ['fieldValidation', 'dryRun', 'fieldManager', 'force']) assert.ok(names.includes(n), `${info.kind} PATCH lacks ${n}`);
    }
    const withKind = Object.values(doc.components.schemas as Obj).filter((s: Obj) => s['x-kubernetes-group-version-kind']?.some((g: Obj) => g.kind === info.kind && g.group === info.group));
    assert.equal(withKind.length, 1, `schema for ${info.kind}`);
    // every reference resolves inside the document
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[^"]+/g) ?? [];
    for (const r of refs) assert.ok(doc.components.schemas[r.slice('#/components/schemas/'.length)], `${gvPath}: dangling ${r}`);
  }
});

test('schemas carry descriptions, formats, int-or-string and list metadata', () => {
  const doc = JSON.parse(openapiV3Doc('api/v1')!.json) as Obj;
  const s = doc.components.schemas;
  const ports = s['io.k8s.api.core.v1.ServiceSpec'].properties.ports;
  assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['port', 'protocol']);
  assert.equal(ports['x-kubernetes-patch-merge-key'], 'port');
  assert.equal(ports.items.$ref, '#/components/schemas/io.k8s.api.core.v1.ServicePort');
  const sp = s['io.k8s.api.core.v1.ServicePort'];
  assert.deepEqual(sp.required, ['port']);
  assert.deepEqual(sp.properties.port, { type: 'integer', format: 'int32', description: 'The port that will be exposed by this service.' });
  assert.equal(sp.properties.targetPort.allOf[0].$ref, '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString');
  assert.equal(s['io.k8s.apimachinery.pkg.util.intstr.IntOrString']['x-kubernetes-int-or-string'], true);
  assert.equal(s['io.k8s.api.core.v1.Container'].properties.ports['x-kubernetes-patch-merge-key'], 'containerPort');
  assert.equal(s['io.k8s.api.core.v1.ResourceRequirements'].properties.limits.additionalProperties.$ref, '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity');
  assert.equal(s['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.creationTimestamp.allOf[0].$ref, '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time');
  assert.deepEqual(s['io.k8s.api.core.v1.Service']['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Service' }]);
  const apps = JSON.parse(openapiV3Doc('apis/apps/v1')!.json) as Obj;
  assert.ok(apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch['x-kubernetes-group-version-kind'].kind === 'Scale');
  assert.ok(apps.components.schemas['io.k8s.api.autoscaling.v1.Scale']);
});

test('v2 is swagger 2.0 with #/definitions refs, served only to JSON clients', () => {
  const doc = JSON.parse(openapiV2().json) as Obj;
  assert.equal(doc.swagger, '2.0');
  assert.ok(!openapiV2().json.includes('#/components/'));
  const svc = doc.definitions['io.k8s.api.core.v1.Service'];
  assert.deepEqual(svc.properties.spec, { $ref: '#/definitions/io.k8s.api.core.v1.ServiceSpec', description: svc.properties.spec.description });
  const patch = doc.paths['/api/v1/namespaces/{namespace}/services/{name}'].patch;
  assert.equal(patch.parameters[0].in, 'body');
  assert.ok(patch.parameters.some((p: Obj) => p.name === 'fieldValidation' && p.type === 'string'));
  assert.ok(!openapiV2Acceptable('application/com.github.proto-openapi.spec.v2@v1.0+protobuf'));
  assert.ok(openapiV2Acceptable('application/json'));
  assert.ok(openapiV2Acceptable(undefined));
});
