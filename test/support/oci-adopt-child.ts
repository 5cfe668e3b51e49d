// "Agent 1" of the oci runtime's adoption test (oci-runtime-tests.ts): starts one container on the data
// dir it is given, prints its shim's pid, /proc start time and startedAt as JSON, and waits to be SIGKILLed.
import path from 'node:path';
import { readProcStat } from '../../src/agent/runtime/proc.js';
import { detectOciSupport, OciContainerRuntime } from '../../src/agent/runtime/oci/oci-runtime.js';
import { adoptFixture } from './oci-runtime-tests.js';

const dir = process.argv[2]!;
const made = detectOciSupport(path.join(dir, 'data'));
if (!made.ok) throw new Error(made.why);
const runtime = new OciContainerRuntime({ dataDir: path.join(dir, 'data'), support: made.support });
const f = adoptFixture(dir);
const c = runtime.createContainer(f.sandbox, f.config);
await runtime.startContainer(c);
process.stdout.write(`${JSON.stringify({ pid: c.pid, startTime: readProcStat(c.pid!)!.startTime, startedAt: c.startedAt })}\n`);
setInterval(() => undefined, 1000);
