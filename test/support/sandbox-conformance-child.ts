// Run by src/agent/runtime/conformance.test.ts in another context it prepared: SKNP_MODE=netns inside a node network
// namespace it made (SKNP_NETNS_PREFIX), or SKNP_MODE=userns as an unprivileged user (loopback).
import { ProcessContainerRuntime } from '../../src/agent/sandbox/containers.js';
import { LoopbackSandboxRuntime } from '../../src/agent/sandbox/loopback.js';
import { NetnsSandboxRuntime } from '../../src/agent/sandbox/netns.js';
import { sandboxConformance } from '../../src/agent/runtime/conformance.js';
import { ociTarget } from './oci-runtime-tests.js';

const mode = process.env['SKNP_MODE'];
const prefix = process.env['SKNP_NETNS_PREFIX'];
if (mode === 'netns') {
  if (!prefix) throw new Error('SKNP_NETNS_PREFIX is not set: run through conformance.test.ts');
  sandboxConformance(async () => ({
    name: 'netns',
    podCIDR: '10.77.0.0/24',
    nodeIP: '10.76.0.2',
    netnsPrefix: prefix,
    runtime: {
      network: 'netns',
      sandboxes: new NetnsSandboxRuntime({ netnsPrefix: prefix, log: () => undefined }),
      containers: new ProcessContainerRuntime({ mode: 'netns' }),
      description: 'netns',
    },
  }));
} else if (mode === 'oci') {
  if (!prefix) throw new Error('SKNP_NETNS_PREFIX is not set: run through conformance.test.ts');
  const target = ociTarget(prefix);
  sandboxConformance(target.conformance);
  target.ociTests();
} else if (mode === 'userns') {
  sandboxConformance(async () => ({
    name: 'loopback-userns',
    podCIDR: '127.79.0.0/24',
    nodeIP: '127.0.0.1',
    runtime: { network: 'loopback', sandboxes: new LoopbackSandboxRuntime(), containers: new ProcessContainerRuntime({ mode: 'userns' }), description: 'loopback' },
  }));
} else throw new Error('SKNP_MODE must be netns, oci or userns: run through conformance.test.ts');
