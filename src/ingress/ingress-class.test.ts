import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Ingress, IngressClass } from 'kubernetes-types/networking/v1.js';
import { classView, controllerName, isServed, skiffIngressClass } from './ingress-class.js';

const ing = (spec: Ingress['spec'], annotations?: Record<string, string>): Ingress => ({ metadata: { name: 'i', namespace: 'default', annotations }, spec });

describe('which Ingresses skiff serves', () => {
  const other: IngressClass = { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } };
  const asDefault = classView([skiffIngressClass(), other]);
  const notDefault = classView([{ ...skiffIngressClass(), metadata: { name: 'skiff' } }, other]);

  it('serves its class by name, and classless Ingresses only while skiff is the default', () => {
    assert.equal(skiffIngressClass().spec?.controller, controllerName);
    assert.equal(isServed(ing({ ingressClassName: 'skiff' }), notDefault), true);
    assert.equal(isServed(ing({ ingressClassName: 'nginx' }), asDefault), false);
    assert.equal(isServed(ing({}), asDefault), true);
    assert.equal(isServed(ing({}), notDefault), false);
  });

  it('honours the legacy kubernetes.io/ingress.class annotation over spec.ingressClassName', () => {
    assert.equal(isServed(ing({}, { 'kubernetes.io/ingress.class': 'gce' }), asDefault), false);
    assert.equal(isServed(ing({ ingressClassName: 'nginx' }, { 'kubernetes.io/ingress.class': 'skiff' }), asDefault), true);
  });

  it('a class of unknown name is not ours', () => {
    assert.equal(isServed(ing({ ingressClassName: 'missing' }), asDefault), false);
  });
});
