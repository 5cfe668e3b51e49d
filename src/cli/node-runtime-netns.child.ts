// Run by node-runtime.test.ts inside a node network namespace it made: a control plane on 127.0.0.1
// and one agent with the netns runtime; prints `READY <kubeconfig>` and runs until SIGTERM.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeAgents } from './agents.js';
import { createLogger } from './logger.js';
import { runServer, serverDefaults } from './server.js';

const prefix = process.env['SKNP_NETNS_PREFIX'];
if (!prefix) throw new Error('SKNP_NETNS_PREFIX is not set: run through node-runtime.test.ts');
const dataDir = process.env['SKNP_DATA_DIR'] || mkdtempSync(join(tmpdir(), 'sknp-agent-'));
const log = createLogger({ verbose: false });
const kubeconfig = join(dataDir, 'kubeconfig');
const server = await runServer(
  { ...serverDefaults, dataDir, httpsListenPort: 0, writeKubeconfig: kubeconfig, clusterCidr: '10.77.0.0/16', disableAgent: true, disable: ['traefik', 'servicelb'], lbPool: '', verbose: false },
  log,
);
const creds = await import('node:fs').then((fs) => fs.readFileSync(kubeconfig, 'utf8'));
const token = /token: (\S+)/.exec(creds)![1]!;
const caPem = Buffer.from(/certificate-authority-data: (\S+)/.exec(creds)![1]!, 'base64').toString('utf8');
const agents = await startNodeAgents({
  server: `https://127.0.0.1:${server.port}`,
  token,
  caPem,
  dataDir,
  nodes: 1,
  nodeName: 'sknp-node',
  nodeIP: '127.0.0.1',
  kubeletPort: 0,
  clusterCidr: '10.77.0.0/16',
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
