/**
 * `skiff image import|ls|rm`: the node's OCI image store (`<data-dir>/agent/images`) without a
 * registry, like `k3s ctr images import` and `crictl images`/`rmi`. Works with the server running or
 * not: the store takes its lock file for every change.
 */
import type { Command } from 'commander';
import type { OciImage } from '../agent/runtime/cri.js';
import { imageStoreDir, openImageStore } from '../agent/images/oci/store.js';
import { parseImageReference } from '../agent/images/reference.js';

export function registerImageCommands(program: Command, defaultDataDir: string): void {
  const image = program.command('image').description('Manage the OCI images of this machine\'s nodes (import archives, list, remove)');
  const dataDir = (c: Command) => c.option('-d, --data-dir <dir>', 'the server\'s (or agent\'s) data dir', defaultDataDir);
  const store = (dir: string) => openImageStore({ root: imageStoreDir(dir) });

  dataDir(image.command('import').description('Import OCI or `docker save` archives (FILE.tar ...)').argument('<files...>'))
    .action(async (files: string[], flags: { dataDir: string }) => {
      for (const f of files) {
        for (const img of await store(flags.dataDir).importArchive(f)) {
          process.stdout.write(`unpacked ${img.ref} (${img.digest})...done\n`);
        }
      }
    });

  dataDir(image.command('ls').alias('list').description('List images (as crictl images)').option('-q, --quiet', 'only image IDs', false))
    .action(async (flags: { dataDir: string; quiet: boolean }) => {
      const images = await store(flags.dataDir).listImages();
      if (flags.quiet) {
        for (const id of new Set(images.map((i) => i.id))) process.stdout.write(`${id}\n`);
        return;
      }
      process.stdout.write(imageTable(images));
    });

  dataDir(image.command('rm').alias('rmi').description('Remove images by reference or image ID').argument('<refs...>'))
    .action(async (refs: string[], flags: { dataDir: string }) => {
      const s = store(flags.dataDir);
      for (const ref of refs) {
        const found = await s.imageStatus(ref);
        await s.removeImage(ref);
        process.stdout.write(`Deleted: ${found?.ref ?? ref}\n`);
      }
    });
}

/** crictl's table: IMAGE TAG IMAGE ID SIZE, the ID cut to 13 hex digits, sizes as `2.05MB`. */
export function imageTable(images: OciImage[]): string {
  const rows = [['IMAGE', 'TAG', 'IMAGE ID', 'SIZE']];
  for (const img of [...images].sort((a, b) => a.ref.localeCompare(b.ref))) {
    const r = parseImageReference(img.ref);
    rows.push([`${r.registry}/${r.repository}`, r.tag ?? '<none>', img.id.replace(/^sha256:/, '').slice(0, 13), humanSize(img.sizeBytes)]);
  }
  // text/tabwriter as crictl sets it up: minwidth 20, padding 3
  const widths = rows[0]!.map((_, i) => Math.max(20, ...rows.map((r) => r[i]!.length + 3)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('')).join('\n') + '\n';
}

/** docker/go-units HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(3))}${units[i]}`;
}
