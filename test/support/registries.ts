/**
 * The registries.yaml every test cluster gets (with `--disable-default-registry-endpoint`): the `"*"` mirror is
 * a refused loopback port, so an image neither imported nor in the catalog ends in ErrImagePull at once and no
 * pull ever leaves the machine or asks its resolver for a registry's name. A test that pulls gives mirrors of
 * its own (`ClusterOptions.registries`); the refusing `"*"` is kept unless it gives one.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistriesConfig } from '../../src/agent/images/oci/registries.js';

/** Port 1 (tcpmux) on loopback: nothing listens there, on the machine or in a node's network namespace. */
export const REFUSED_REGISTRY = 'http://127.0.0.1:1';

/** Writes `<dataDir>/registries.yaml` (JSON is YAML) and returns the flags that use it. */
export async function testRegistryArgs(dataDir: string, own: RegistriesConfig = {}): Promise<string[]> {
  const config: RegistriesConfig = { ...own, mirrors: { '*': { endpoint: [REFUSED_REGISTRY] }, ...own.mirrors } };
  const file = join(dataDir, 'registries.yaml');
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return ['--private-registry', file, '--disable-default-registry-endpoint'];
}
