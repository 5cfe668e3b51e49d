import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, fromFieldsV1, toFieldsV1, pathToString, keyElement, valueElement } from './fieldpath.js';
import { compare, merge, toFieldSet, removePaths } from './typed.js';

const deploy = { group: 'apps', kind: 'Deployment' };

test('FieldsV1 encodes members, "." for members with children, and round-trips', () => {
  const s = new FieldSet([
    ['f:metadata', 'f:labels'],
    ['f:metadata', 'f:labels', 'f:app'],
    ['f:spec', 'f:replicas'],
    ['f:spec', 'f:containers', 'k:{"name":"c"}'],
    ['f:spec', 'f:containers', 'k:{"name":"c"}', 'f:image'],
  ]);
  const v1 = toFieldsV1(s);
  assert.deepEqual(v1, {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {} } }, 'f:replicas': {} },
  });
  assert.equal(fromFieldsV1(v1).equals(s), true);
  assert.deepEqual(Object.keys(v1['f:spec']), ['f:containers', 'f:replicas']);
});

test('path strings as fieldpath.Path.String()', () => {
  assert.equal(pathToString(['f:spec', 'f:template', 'f:spec', 'f:containers', keyElement({ name: 'c' }), 'f:image']), '.spec.template.spec.containers[name="c"].image');
  assert.equal(pathToString(['f:spec', 'f:ports', keyElement({ protocol: 'TCP', port: 80 })]), '.spec.ports[port=80,protocol="TCP"]');
  assert.equal(pathToString(['f:metadata', 'f:finalizers', valueElement('x')]), '.metadata.finalizers[="x"]');
});

test('toFieldSet: atomic selector, keyed containers with defaulted port protocol, set lists', () => {
  const set = toFieldSet(
    {
      metadata: { finalizers: ['a'] },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }], args: ['x'] }] } },
      },
    },
    deploy,
  );
  const paths = set.list().map(pathToString);
  assert.deepEqual(paths, [
    '.metadata.finalizers[="a"]',
    '.spec.selector',
    '.spec.template.spec.containers[name="c"]',
    '.spec.template.spec.containers[name="c"].args',
    '.spec.template.spec.containers[name="c"].name',
    '.spec.template.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"]',
    '.spec.template.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"].containerPort',
  ]);
});

test('compare: added/modified/removed with map nodes added as members', () => {
  const c = compare({ spec: { replicas: 1, template: { spec: { containers: [{ name: 'c', image: 'a' }] } } } }, { metadata: { labels: { app: 'x' } }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'a' }, { name: 'd' }] } } } }, deploy);
  assert.deepEqual(c.modified.list().map(pathToString), ['.spec.replicas']);
  assert.deepEqual(c.added.list().map(pathToString), ['.metadata', '.metadata.labels', '.metadata.labels.app', '.spec.template.spec.containers[name="d"]', '.spec.template.spec.containers[name="d"].name']);
  assert.equal(c.removed.empty(), true);
});

test('merge keeps live order and interleaves new items; null removes', () => {
  const out = merge(
    { spec: { template: { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '2' }] } } }, metadata: { labels: { x: '1', y: '2' } } },
    { spec: { template: { spec: { containers: [{ name: 'n' }, { name: 'b', image: '3' }] } } }, metadata: { labels: { y: null } } },
    deploy,
  ) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'a', image: '1' }, { name: 'n' }, { name: 'b', image: '3' }]);
  assert.deepEqual(out.metadata.labels, { x: '1' });
});

test('removePaths removes list items and emptied maps', () => {
  const out = removePaths({ metadata: { labels: { a: '1' } }, spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } } } }, [['f:metadata', 'f:labels', 'f:a'], ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"a"}']], deploy);
  assert.deepEqual(out, { spec: { template: { spec: { containers: [{ name: 'b' }] } } } });
});
