import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldErrorMessage } from '../status.js';
import { labelSelectorMatches, nameIsDNSLabel, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './metadata.js';
import { isConfigMapKey, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, isValidPortName, regexError } from './names.js';

const msgs = (errs: Parameters<typeof fieldErrorMessage>[0][]): string[] => errs.map(fieldErrorMessage);

test('regexError formats examples the way Go does (note the double space)', () => {
  assert.equal(regexError('m', 'f'), "m (regex used for validation is 'f')");
  assert.equal(regexError('m', 'f', 'a', 'b'), "m (e.g. 'a',  or 'b', regex used for validation is 'f')");
});

test('name rules', () => {
  assert.deepEqual(validateObjectMeta({ name: 'a.b-c', namespace: 'default' }, { namespaced: true, nameFn: nameIsDNSSubdomain }), []);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'a.b', namespace: 'default' }, { namespaced: true, nameFn: nameIsDNSLabel })), ['metadata.name: Invalid value: "a.b": must not contain dots']);
  assert.deepEqual(msgs(validateObjectMeta({ namespace: 'default' }, { namespaced: true, nameFn: nameIsDNSSubdomain })), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'x' }, { namespaced: true, nameFn: nameIsDNSSubdomain })), ['metadata.namespace: Required value']);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'x', namespace: 'a' }, { namespaced: false, nameFn: nameIsDNSSubdomain })), ['metadata.namespace: Forbidden: not allowed on this type']);
  // generateName may end in '-'.
  assert.deepEqual(validateObjectMeta({ name: 'web-abcde', generateName: 'web-', namespace: 'default' }, { namespaced: true, nameFn: nameIsDNSSubdomain }), []);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'x', generateName: 'Web-', namespace: 'default' }, { namespaced: true, nameFn: nameIsDNSSubdomain })), [
    `metadata.generateName: Invalid value: "Web-": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
  ]);
  assert.deepEqual(isDNS1123Subdomain('a'.repeat(254)).length, 1);
  assert.equal(isDNS1123Subdomain('a'.repeat(254))[0], 'must be no more than 253 characters');
});

test('labels and annotations', () => {
  assert.deepEqual(msgs(validateObjectMeta({ name: 'x', namespace: 'd', labels: { 'app/x/y': 'v' } }, { namespaced: true, nameFn: nameIsDNSSubdomain })), [
    `metadata.labels: Invalid value: "app/x/y": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
  ]);
  assert.deepEqual(msgs(validateObjectMeta({ name: 'x', namespace: 'd', labels: { app: 'bad value' } }, { namespaced: true, nameFn: nameIsDNSSubdomain })), [
    `metadata.labels: Invalid value: "bad value": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
  ]);
  assert.deepEqual(isQualifiedName('example.com/MyName'), []);
  assert.deepEqual(isQualifiedName('/x'), ['prefix part must be non-empty']);
  assert.deepEqual(isValidLabelValue(''), []);
  assert.deepEqual(isValidLabelValue('a'.repeat(64))[0], 'must be no more than 63 characters');
  // Annotation keys are case-insensitive.
  assert.deepEqual(validateObjectMeta({ name: 'x', namespace: 'd', annotations: { 'Example.COM/Key': 'v' } }, { namespaced: true, nameFn: nameIsDNSSubdomain }), []);
  const big = { a: 'x'.repeat(256 * 1024) };
  assert.deepEqual(msgs(validateObjectMeta({ name: 'x', namespace: 'd', annotations: big }, { namespaced: true, nameFn: nameIsDNSSubdomain })), ['metadata.annotations: Too long: may not be more than 262144 bytes']);
});

test('other formats', () => {
  assert.deepEqual(isValidPortName('http'), []);
  assert.deepEqual(isValidPortName('-a--b-toolongname'), [
    'must be no more than 15 characters',
    'must not contain consecutive hyphens',
    'must not begin or end with a hyphen',
  ]);
  assert.deepEqual(isValidPortName('8080'), ['must contain at least one letter (a-z)']);
  assert.deepEqual(isConfigMapKey('..a'), ["must not start with '..'"]);
  assert.equal(isConfigMapKey('a b').length, 1);
});

test('metadata update immutability', () => {
  assert.deepEqual(msgs(validateObjectMetaUpdate({ name: 'b', namespace: 'd', uid: 'u' }, { name: 'a', namespace: 'd', uid: 'u' })), ['metadata.name: Invalid value: "b": field is immutable']);
  assert.deepEqual(validateObjectMetaUpdate({ name: 'a', labels: { x: 'y' } }, { name: 'a' }), []);
  assert.deepEqual(msgs(validateObjectMetaUpdate({ name: 'a', finalizers: ['a/x', 'b/y'] }, { name: 'a', deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['a/x'] })), [
    'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b/y"}',
  ]);
});

test('label selectors', () => {
  assert.ok(labelSelectorMatches({ matchLabels: { a: 'b' } }, { a: 'b', c: 'd' }));
  assert.ok(!labelSelectorMatches({ matchLabels: { a: 'b' } }, { a: 'c' }));
  assert.ok(labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['x'] }] }, {}));
  assert.ok(!labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, {}));
  assert.ok(labelSelectorMatches({}, { any: 'thing' }));
});
