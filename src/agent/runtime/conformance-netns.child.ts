// Run by conformance.test.ts inside a node network namespace it made: the netns runtime's conformance run.
import { ProcessContainerRuntime } from '../sandbox/containers.js';
import { NetnsSandboxRuntime } from '../sandbox/netns.js';
import { sandboxConformance } from './conformance.js';

const prefix = process.env['SKNP_NETNS_PREFIX'];
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
