import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerArgv, expand, expandEnv, mappingFor } from './command.js';

const vars = { VAR_A: 'A', VAR_B: 'B', VAR_C: 'C', VAR_REF: '$(VAR_A)', VAR_EMPTY: '' };
const m = mappingFor(vars);

// Cases from kubelet's third_party/forked/golang/expansion/expand_test.go.
const cases: Array<[string, string]> = [
  ['$(VAR_A)', 'A'],
  ['___$(VAR_B)___', '___B___'],
  ['$(VAR_A)-$(VAR_A)', 'A-A'],
  ['$(VAR_A)-1', 'A-1'],
  ['$(VAR_A)_$(VAR_B)_$(VAR_C)', 'A_B_C'],
  ['$$(VAR_B)_$(VAR_A)', '$(VAR_B)_A'],
  ['$$(VAR_A)-$$(VAR_A)', '$(VAR_A)-$(VAR_A)'],
  ['f000-$$VAR_A', 'f000-$VAR_A'],
  ['foo\\$(VAR_C)bar', 'foo\\Cbar'],
  ['foo\\\\$(VAR_C)bar', 'foo\\\\Cbar'],
  ['$(VAR_REF)', '$(VAR_A)'],
  ['$(VAR_EMPTY)', ''],
  ['$(VAR_DNE)', '$(VAR_DNE)'],
  ['$(VAR_A', '$(VAR_A'],
  ['$VAR_A', '$VAR_A'],
  ['$', '$'],
  ['$$', '$'],
  ['$$$$', '$$'],
  ['$$$', '$$'],
  ['$$$(VAR_A)', '$A'],
  ['$()', '$()'],
  ['$(,)', '$(,)'],
  ['$($(VAR_A))', '$($(VAR_A))'],
  ['$(VAR_A$(VAR_B))', '$(VAR_A$(VAR_B))'],
  ['$(VAR_A$(VAR_B)', '$(VAR_A$(VAR_B)'],
  ['$$(VAR_A)$(VAR_A', '$(VAR_A)$(VAR_A'],
  ['$(VAR_A)$', 'A$'],
  ['x$(VAR_A))', 'xA)'],
];

test('expand follows kubelet expansion rules', () => {
  for (const [input, want] of cases) assert.equal(expand(input, m), want, input);
});

test('expandEnv lets a variable reference earlier ones and service env, not later ones', () => {
  const env = expandEnv(
    [
      { name: 'A', value: 'a' },
      { name: 'B', value: '$(A)-$(SVC_HOST)-$(C)' },
      { name: 'C', value: 'c' },
    ],
    { SVC_HOST: '10.0.0.1' },
  );
  assert.deepEqual(env, { SVC_HOST: '10.0.0.1', A: 'a', B: 'a-10.0.0.1-$(C)', C: 'c' });
});

test('command replaces ENTRYPOINT, args replaces CMD', () => {
  const image = { entrypoint: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'] };
  const env = { PORT: '8080' };
  assert.deepEqual(containerArgv({ image, env }), ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
  assert.deepEqual(containerArgv({ image, env, args: ['--port', '$(PORT)'] }), ['/docker-entrypoint.sh', '--port', '8080']);
  assert.deepEqual(containerArgv({ image, env, command: ['sh', '-c'] }), ['sh', '-c']);
  assert.deepEqual(containerArgv({ image, env, command: ['echo'], args: ['$(PORT)', '$$(PORT)'] }), ['echo', '8080', '$(PORT)']);
  // empty lists count as unset, as in Kubernetes
  assert.deepEqual(containerArgv({ image, env, command: [], args: [] }), ['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
  assert.deepEqual(containerArgv({ image: { entrypoint: [], cmd: ['sh'] }, env, args: ['sh', '-c', 'echo hi'] }), ['sh', '-c', 'echo hi']);
});
