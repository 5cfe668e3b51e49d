// Helpers for e2e tests that read what the real kubectl prints.
import { rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Row = Record<string, string>;

/**
 * Splits kubectl's column output into rows keyed by header. Columns are located by where each header
 * starts (kubectl's tabwriter left-aligns cells under their header), so headers with spaces
 * ("NOMINATED NODE") and empty cells both survive. Blank lines separate tables (`get all`); only the
 * first table is returned, use parseTables for all of them.
 */
export function parseTable(out: string): Row[] {
  return parseTables(out)[0] ?? [];
}

export function parseTables(out: string): Row[][] {
  const blocks = out.replace(/\r/g, '').split(/\n\s*\n/).map((b) => b.split('\n').filter((l) => l.trim() !== ''));
  return blocks.filter((b) => b.length > 0).map(parseBlock);
}

function parseBlock(lines: string[]): Row[] {
  const header = lines[0]!;
  const cols: { name: string; start: number }[] = [];
  const re = /\S+(?: \S+)*/g; // a header is words joined by single spaces; columns are 2+ spaces apart
  for (let m = re.exec(header); m; m = re.exec(header)) cols.push({ name: m[0], start: m.index });
  return lines.slice(1).map((line) => {
    const row: Row = {};
    cols.forEach((c, i) => {
      const end = i + 1 < cols.length ? cols[i + 1]!.start : undefined;
      row[c.name] = line.slice(c.start, end).trim();
    });
    return row;
  });
}

/** The header names of the first table, in order. */
export function tableHeader(out: string): string[] {
  const first = out.replace(/\r/g, '').split('\n')[0] ?? '';
  return first.match(/\S+(?: \S+)*/g) ?? [];
}

/** Non-empty output lines. */
export function lines(out: string): string[] {
  return out.replace(/\r/g, '').split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
}

const manifestDirs: string[] = [];
process.once('exit', () => {
  for (const d of manifestDirs) rmSync(d, { recursive: true, force: true });
});

/** Writes a manifest to a fresh temp dir (removed when the test process exits) and returns its path (kubectl quotes that path in errors). */
export async function writeManifest(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-manifest-'));
  manifestDirs.push(dir);
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

export function parseManifest(text: string): ManifestObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as ManifestObject | null)
    .filter((o): o is ManifestObject => !!o);
}

/** kubectl's `resource[.group]` for a kind as it prints it in `<ref>/<name> created`. */
export function kindRef(o: { apiVersion: string; kind: string }): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
  const resource = o.kind.toLowerCase();
  return group ? `${resource}.${group}` : resource;
}

/** Is the dotted IPv4 address inside the CIDR? */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const toInt = (s: string): number | undefined => {
    const p = s.split('.').map(Number);
    if (p.length !== 4 || p.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return undefined;
    return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
  };
  const a = toInt(ip);
  const b = toInt(base!);
  if (a === undefined || b === undefined) return false;
  const n = Number(bits);
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  return (a & mask) === (b & mask);
}

/** The Namespace manifest (applied as JSON, so it does not depend on protobuf bodies). */
export function namespaceManifest(name: string): string {
  return `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;
}

/**
 * The API-only scenario of issue 2: no node agent (pods stay Pending, as in a cluster without nodes)
 * and no default LoadBalancer pool (LoadBalancer Services show `<pending>`). Spread into TestCluster.start.
 */
export function apiOnly(): { nodes: number; extraArgs: string[] } {
  return { nodes: 0, extraArgs: ['--lb-pool', ''] };
}
