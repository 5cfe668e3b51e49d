import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { containerEnv, serviceEnv, servicesForPod, fieldRefValue } from './env.js';

const pod: Pod = {
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web', tier: 'fe' }, annotations: { note: 'x' } },
  spec: { nodeName: 'node-a', serviceAccountName: 'default', containers: [] },
};

function svc(namespace: string, name: string, clusterIP: string, ports: ServicePort[]): Service {
  return { metadata: { namespace, name }, spec: { clusterIP, ports } };
}

const kubernetes = svc('default', 'kubernetes', '127.43.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]);
const redis = svc('shop', 'redis-primary', '127.43.0.20', [{ port: 6379, protocol: 'TCP' }, { name: 'metrics', port: 9121, protocol: 'TCP' }]);
const headless = svc('shop', 'db', 'None', [{ port: 5432 }]);
const other = svc('other', 'cache', '127.43.0.30', [{ port: 11211 }]);

describe('service environment variables', () => {
  it('renders the {NAME}_SERVICE_* and Docker link variables', () => {
    const env = serviceEnv([redis]);
    assert.deepEqual(env, {
      REDIS_PRIMARY_SERVICE_HOST: '127.43.0.20',
      REDIS_PRIMARY_SERVICE_PORT: '6379',
      REDIS_PRIMARY_SERVICE_PORT_METRICS: '9121',
      REDIS_PRIMARY_PORT: 'tcp://127.43.0.20:6379',
      REDIS_PRIMARY_PORT_6379_TCP: 'tcp://127.43.0.20:6379',
      REDIS_PRIMARY_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_6379_TCP_PORT: '6379',
      REDIS_PRIMARY_PORT_6379_TCP_ADDR: '127.43.0.20',
      REDIS_PRIMARY_PORT_9121_TCP: 'tcp://127.43.0.20:9121',
      REDIS_PRIMARY_PORT_9121_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_9121_TCP_PORT: '9121',
      REDIS_PRIMARY_PORT_9121_TCP_ADDR: '127.43.0.20',
    });
  });

  it('sees its namespace plus default/kubernetes, skips headless Services, and only kubernetes without service links', () => {
    const names = (p: Pod) => servicesForPod(p, [kubernetes, redis, headless, other]).map((s) => s.metadata!.name).sort();
    assert.deepEqual(names(pod), ['db', 'kubernetes', 'redis-primary']);
    assert.deepEqual(names({ ...pod, spec: { ...pod.spec!, enableServiceLinks: false } }), ['kubernetes']);
    assert.equal(serviceEnv([headless]).DB_SERVICE_HOST, undefined);
  });
});

describe('containerEnv', () => {
  const sources = {
    configMap: (name: string) => (name === 'cfg' ? { data: { MODE: 'prod', 'bad key': 'x' } } : undefined),
    secret: (name: string) => (name === 'creds' ? { data: { PASSWORD: Buffer.from('s3cret').toString('base64') } } : undefined),
    services: [kubernetes, redis],
    podIP: '127.42.0.7',
    hostIP: '127.0.0.1',
  };

  it('resolves values, fieldRefs, configMap/secret refs, envFrom with prefix, and $(VAR) expansion', () => {
    const c: Container = {
      name: 'app',
      envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' } }],
      env: [
        { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'URL', value: 'http://$(MY_IP):8080/$(CFG_MODE)/$(REDIS_PRIMARY_SERVICE_HOST)/$(NOPE)/$$(MY_IP)' },
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MODE' } } },
        { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'missing', key: 'k', optional: true } } },
      ],
    };
    const r = containerEnv(pod, c, sources);
    assert.ok('env' in r);
    const env = r.env;
    assert.equal(env.MY_IP, '127.42.0.7');
    assert.equal(env.URL, 'http://127.42.0.7:8080/prod/127.43.0.20/$(NOPE)/$(MY_IP)');
    assert.equal(env.NODE, 'node-a');
    assert.equal(env.TIER, 'fe');
    assert.equal(env.PW, 's3cret');
    assert.equal(env.PASSWORD, 's3cret');
    assert.equal(env.CFG_MODE, 'prod');
    assert.equal(env['CFG_bad key'], undefined);
    assert.equal(env.MODE, 'prod');
    assert.equal('OPT' in env, false);
    assert.equal(env.KUBERNETES_SERVICE_HOST, '127.43.0.1');
    assert.equal(env.KUBERNETES_SERVICE_PORT_HTTPS, '443');
  });

  it('reports a missing reference as CreateContainerConfigError with kubelet\'s message', () => {
    const r = containerEnv(pod, { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope' } } }] }, sources);
    assert.deepEqual(r, { error: "couldn't find key nope in ConfigMap shop/cfg", reason: 'CreateContainerConfigError' });
    const r2 = containerEnv(pod, { name: 'c', envFrom: [{ secretRef: { name: 'gone' } }] }, sources);
    assert.deepEqual(r2, { error: 'secret "gone" not found', reason: 'CreateContainerConfigError' });
  });

  it('formats metadata.labels as sorted key="value" lines', () => {
    assert.equal(fieldRefValue(pod, 'metadata.labels', { podIP: '', hostIP: '' }), 'app="web"\ntier="fe"');
    assert.equal(fieldRefValue(pod, 'metadata.uid', { podIP: '', hostIP: '' }), 'u-1');
    assert.equal(fieldRefValue(pod, 'status.hostIP', { podIP: '', hostIP: '127.0.0.9' }), '127.0.0.9');
  });
});
