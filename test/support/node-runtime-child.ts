// Run by src/cli/node-runtime.test.ts: a control plane on 127.0.0.1 and one agent, with the netns runtime (inside
// a node network namespace the test made) or, with SKNP_NETWORK=loopback, the loopback runtime without
// namespaces (SKNP_ISOLATION=none); prints `READY <kubeconfig>` and runs until SIGTERM.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent } from '../../src/agent/agent.js';
import { RestClient } from '../../src/client/rest.js';
import { realClock } from '../../src/util/clock.js';
import { startNodeAgents } from '../../src/cli/agents.js';
import { createNodeRuntime } from '../../src/cli/node-runtime.js';
import { blockAddresses } from './address-block.js';
import { createLogger } from '../../src/cli/logger.js';
import { runServer, serverDefaults } from '../../src/cli/server.js';

const loopback = process.env['SKNP_NETWORK'] === 'loopback';
const prefix = process.env['SKNP_NETNS_PREFIX'];
if (!prefix && !loopback) throw new Error('SKNP_NETNS_PREFIX is not set: run through node-runtime.test.ts');
// loopback: the addresses of the block the test claimed (test/support/address-block.ts)
const octet = Number(process.env['SKNP_OCTET'] ?? '0');
if (loopback && !(octet > 0)) throw new Error('SKNP_OCTET is not set: run through node-runtime.test.ts');
const block = loopback ? blockAddresses(octet) : undefined;
const clusterCidr = block?.clusterCIDR ?? '10.77.0.0/16';
const nodeIP = block?.nodeIP ?? '127.0.0.1';
const dataDir = process.env['SKNP_DATA_DIR'] || mkdtempSync(join(tmpdir(), 'sknp-agent-'));
const log = createLogger({ verbose: false });
const kubeconfig = join(dataDir, 'kubeconfig');
const server = await runServer(
  { ...serverDefaults, dataDir, httpsListenPort: 0, writeKubeconfig: kubeconfig, clusterCidr, ...(block ? { serviceCidr: block.serviceCIDR, nodeIp: nodeIP } : {}), disableAgent: true, disable: ['traefik', 'servicelb'], lbPool: '', verbose: false },
  log,
);
const creds = await import('node:fs').then((fs) => fs.readFileSync(kubeconfig, 'utf8'));
const token = /token: (\S+)/.exec(creds)![1]!;
const caPem = Buffer.from(/certificate-authority-data: (\S+)/.exec(creds)![1]!, 'base64').toString('utf8');
const server0 = `https://127.0.0.1:${server.port}`;
const agents = loopback
  ? await (async () => {
      const client = new RestClient({ server: server0, token, caData: caPem, userAgent: 'kubelet/v1.32.4+skiff (linux) sknp-loop' });
      const runtime = createNodeRuntime({ network: 'loopback', isolation: process.env['SKNP_ISOLATION'] === 'none' ? 'none' : 'auto', dataDir, log: () => undefined });
      const a = await startAgent({ client, runtime, nodeName: 'sknp-loop', nodeIP, kubeletPort: 0, dataDir: join(dataDir, 'agent'), isControlPlane: true, clock: realClock, log: () => undefined, token, clusterCIDR: clusterCidr, streams: (await import('../../src/agent/streams/handlers.js')).createStreamHandlers({ log: () => undefined }) });
      return { stop: () => a.stop() };
    })()
  : await startNodeAgents({
      server: server0,
      token,
      caPem,
      dataDir,
      nodes: 1,
      nodeName: 'sknp-node',
      nodeIP: '127.0.0.1',
      kubeletPort: 0,
      clusterCidr,
      controlPlane: true,
      log,
      network: 'netns',
      netnsPrefix: prefix,
    });
console.log(`READY ${kubeconfig}`);
process.once('SIGTERM', () => {
  void (async () => {
    await agents.stop();
    await server.stop();
    if (!process.env['SKNP_DATA_DIR']) rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  })();
});
