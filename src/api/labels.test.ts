import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabelSelector, matches, selectorToString, fromLabelSelector, fromSet, formatLabelSelector, SelectorParseError } from './labels.js';

const m = (sel: string, labels: Record<string, string>) => matches(parseLabelSelector(sel), labels);

test('equality and set-based selectors match as Kubernetes does', () => {
  assert.equal(m('app=web', { app: 'web' }), true);
  assert.equal(m('app==web', { app: 'web' }), true);
  assert.equal(m('app=web', { app: 'db' }), false);
  assert.equal(m('app!=web', {}), true);
  assert.equal(m('app!=web', { app: 'web' }), false);
  assert.equal(m('env in (prod, dev)', { env: 'dev' }), true);
  assert.equal(m('env in (prod)', {}), false);
  assert.equal(m('env notin (prod)', {}), true);
  assert.equal(m('env notin (prod)', { env: 'prod' }), false);
  assert.equal(m('app', { app: '' }), true);
  assert.equal(m('!app', { app: '' }), false);
  assert.equal(m('!app', { x: '1' }), true);
  assert.equal(m('app=web,tier', { app: 'web' }), false);
  assert.equal(m('app=web,tier', { app: 'web', tier: 'fe' }), true);
  assert.equal(m('', { a: 'b' }), true);
  assert.equal(m('a=', { a: '' }), true);
  assert.equal(m('x in (in,notin)', { x: 'in' }), true);
  assert.equal(m('n>5', { n: '6' }), true);
  assert.equal(m('n<5', { n: '6' }), false);
  assert.equal(m('kubernetes.io/service-name=web', { 'kubernetes.io/service-name': 'web' }), true);
});

test('canonical string: sorted by key, values sorted', () => {
  assert.equal(selectorToString(parseLabelSelector('z=1, a in (y,x), !b, c')), 'a in (x,y),!b,c,z=1');
  assert.equal(selectorToString(fromSet({ tier: 'fe', app: 'web' })), 'app=web,tier=fe');
  assert.equal(selectorToString(parseLabelSelector('a notin ()')), 'a notin ()');
});

test('parse errors carry Kubernetes text', () => {
  const err = (s: string) => {
    try {
      parseLabelSelector(s);
    } catch (e) {
      assert.ok(e instanceof SelectorParseError);
      return (e as Error).message;
    }
    assert.fail(`no error for ${s}`);
  };
  assert.equal(err('a=b c'), "found 'c', expected: ',' or 'end of string'");
  assert.equal(err('a=b,'), "found '', expected: identifier after ','");
  assert.equal(err('=b'), "found '=', expected: !, identifier, or 'end of string'");
  assert.equal(err('a in b'), "unable to parse requirement: found 'b' expected: '('");
  assert.equal(err('a (x)'), "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt");
  assert.equal(err('a in (x'), "unable to parse requirement: found '', expected: ',' or ')'");
  assert.match(err('a=b c d'), /found 'c'/);
  assert.equal(
    err('-a'),
    `unable to parse requirement: <nil>: Invalid value: "-a": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
  );
  assert.match(err('a=-b'), /^unable to parse requirement: values\[0\]\[a\]: Invalid value: "-b": a valid label must be an empty string/);
  assert.equal(err('a=b=c'), "found '=', expected: ',' or 'end of string'");
  assert.equal(err('!a=b'), "found '=', expected: ',' or 'end of string'");
});

test('metav1.LabelSelector conversion', () => {
  const sel = fromLabelSelector({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'env', operator: 'In', values: ['prod', 'dev'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'tier', operator: 'Exists' },
      { key: 'zone', operator: 'NotIn', values: ['b'] },
    ],
  });
  assert.equal(selectorToString(sel), 'app=web,!canary,env in (dev,prod),tier,zone notin (b)');
  assert.equal(matches(sel, { app: 'web', env: 'dev', tier: 'x' }), true);
  assert.equal(matches(sel, { app: 'web', env: 'dev', tier: 'x', zone: 'b' }), false);
  assert.equal(matches(fromLabelSelector({}), { any: 'thing' }), true);
  assert.equal(matches(fromLabelSelector(null), {}), false);
  assert.throws(() => fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Foo' }] }), /"Foo" is not a valid label selector operator/);
  assert.throws(() => fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), /values set can't be empty/);
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(formatLabelSelector({ matchLabels: { app: 'web' } }), 'app=web');
});
