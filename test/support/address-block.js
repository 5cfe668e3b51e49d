import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const dir = join(tmpdir(), 'skiff-test-address-blocks');
/** Second octets handed out here; every e2e cluster takes its addresses from a block claimed here. */
export const blockRange = { first: 150, last: 249 };
function alive(pid) {
    try {
        process.kill(pid, 0);
        return true;
    }
    catch (err) {
        return err.code === 'EPERM';
    }
}
async function tryClaim(octet) {
    const path = join(dir, String(octet));
    try {
        await mkdir(path);
    }
    catch (err) {
        if (err.code !== 'EEXIST')
            throw err;
        const owner = Number(await readFile(join(path, 'pid'), 'utf8').catch(() => '0'));
        if (owner && alive(owner))
            return false;
        // the owner is gone (or never wrote its pid): take the block over
        await writeFile(join(path, 'pid'), String(process.pid));
        return Number(await readFile(join(path, 'pid'), 'utf8')) === process.pid;
    }
    await writeFile(join(path, 'pid'), String(process.pid));
    return true;
}
export async function claimAddressBlock() {
    await mkdir(dir, { recursive: true });
    const size = blockRange.last - blockRange.first + 1;
    const start = Math.floor(Math.random() * size);
    for (let i = 0; i < size; i++) {
        const octet = blockRange.first + ((start + i) % size);
        if (await tryClaim(octet))
            return { octet, release: () => rm(join(dir, String(octet)), { recursive: true, force: true }) };
    }
    throw new Error(`no free loopback address block in 127.${blockRange.first}-${blockRange.last}.0.0/16`);
}
/**
 * An address of block S that the cluster never uses: 127.S.(16+subnet).host, subnet 0-15 (127.S.16.0/20
 * lies outside the node, pool, service and pod ranges). For fake pod IPs, test backends, clients, externalIPs.
 */
export function spareAddress(octet, host, subnet = 0) {
    if (subnet < 0 || subnet > 15 || host < 0 || host > 255)
        throw new Error(`no spare address ${subnet}/${host} in 127.${octet}.16.0/20`);
    return `127.${octet}.${16 + subnet}.${host}`;
}
/** The addresses a cluster in block 127.S.0.0/16 uses by default (nodes take 127.S.0.1, .2, ...). */
export function blockAddresses(octet) {
    return {
        nodeIP: `127.${octet}.0.1`,
        lbPool: `127.${octet}.32.0/24`,
        serviceCIDR: `127.${octet}.64.0/18`,
        clusterCIDR: `127.${octet}.128.0/17`,
    };
}
//# sourceMappingURL=address-block.js.map