/**
 * Test images made offline: a rootfs of Debian's busybox-static with its own /etc/os-release and a page
 * saying the tag, served by `busybox httpd`, packed with umoci into an OCI layout and exported with
 * skopeo as OCI archives (one per tag) and a `docker save` archive.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runTool } from '../../src/agent/images/oci/tools.js';

export const TEST_IMAGE = 'docker.io/skiff-test/web';
/** The image's entrypoint and cmd: `busybox httpd -f -v -p 8080 -h /www`. */
export const TEST_ENTRYPOINT = ['/bin/busybox', 'httpd', '-f', '-v'];
export const TEST_CMD = ['-p', '8080', '-h', '/www'];
export const TEST_PORT = 8080;

export interface TestImageArchives {
  /** OCI archives named `docker.io/skiff-test/web:<tag>`. */
  v1: string;
  v2: string;
  /** `docker save`-style archive of v1, tagged `skiff-test/web:v1-docker`. */
  dockerV1: string;
  /** The umoci layout they came from (tags v1 and v2). */
  layout: string;
}

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
const APPLETS = ['sh', 'cat', 'ls', 'echo', 'sleep', 'id', 'env', 'wget', 'nc', 'httpd', 'ps', 'pwd', 'hostname', 'trap', 'true'];

/** Why these images cannot be made here, or undefined. */
export async function testImageSkipReason(): Promise<string | undefined> {
  if (!BUSYBOX) return 'no busybox-static (Debian: apt-get install busybox-static)';
  // the image has no libc: a dynamically linked busybox would not run in it
  const linked = await runTool(['ldd', BUSYBOX]).then((r) => r.stdout, (err: Error) => err.message);
  if (!/not a dynamic executable|statically linked/.test(linked)) return `${BUSYBOX} is dynamically linked (Debian: apt-get install busybox-static)`;
  for (const tool of ['umoci', 'skopeo']) {
    try {
      await runTool([tool, '--version']);
    } catch (err) {
      return (err as Error).message;
    }
  }
  return undefined;
}

export async function buildTestImages(dir: string): Promise<TestImageArchives> {
  fs.mkdirSync(dir, { recursive: true });
  const layout = path.join(dir, 'layout');
  const rootless = process.getuid?.() !== 0 ? ['--rootless'] : [];
  fs.rmSync(layout, { recursive: true, force: true });
  await runTool(['umoci', 'init', '--layout', layout]);
  for (const tag of ['v1', 'v2']) {
    const root = path.join(dir, `rootfs-${tag}`);
    writeRootfs(root, tag);
    const image = `${layout}:${tag}`;
    await runTool(['umoci', 'new', '--image', image]);
    await runTool(['umoci', 'insert', ...rootless, '--image', image, root, '/']);
    const config = [
      ...TEST_ENTRYPOINT.flatMap((e) => ['--config.entrypoint', e]),
      ...TEST_CMD.flatMap((c) => ['--config.cmd', c]),
      '--config.env', 'PATH=/bin',
      '--config.env', `SKIFF_TEST_IMAGE=${tag}`,
      '--config.workingdir', '/www',
      '--config.exposedports', `${TEST_PORT}/tcp`,
    ];
    await runTool(['umoci', 'config', ...rootless, '--image', image, ...config]);
  }
  const out: TestImageArchives = { v1: path.join(dir, 'web-v1.tar'), v2: path.join(dir, 'web-v2.tar'), dockerV1: path.join(dir, 'web-v1-docker.tar'), layout };
  for (const tag of ['v1', 'v2'] as const) {
    fs.rmSync(out[tag], { force: true });
    await runTool(['skopeo', 'copy', '--quiet', `oci:${layout}:${tag}`, `oci-archive:${out[tag]}:${TEST_IMAGE}:${tag}`]);
  }
  fs.rmSync(out.dockerV1, { force: true });
  await runTool(['skopeo', 'copy', '--quiet', `oci:${layout}:v1`, `docker-archive:${out.dockerV1}:skiff-test/web:v1-docker`]);
  return out;
}

function writeRootfs(root: string, tag: string): void {
  fs.rmSync(root, { recursive: true, force: true });
  for (const d of ['bin', 'etc', 'www', 'tmp', 'root', 'home/web']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  fs.copyFileSync(BUSYBOX!, path.join(root, 'bin', 'busybox'));
  fs.chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
  for (const a of APPLETS) fs.symlinkSync('busybox', path.join(root, 'bin', a));
  fs.writeFileSync(path.join(root, 'etc', 'os-release'), `NAME="skiff test image"\nID=skiff-test\nVERSION_ID=${tag}\nPRETTY_NAME="skiff test image ${tag}"\n`);
  fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000:web:/home/web:/bin/sh\n');
  fs.writeFileSync(path.join(root, 'etc', 'group'), 'root:x:0:\nweb:x:1000:\n');
  fs.writeFileSync(path.join(root, 'www', 'index.html'), `${tag}\n`);
}
