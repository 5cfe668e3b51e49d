/**
 * The user a container runs as, resolved in its image's root filesystem as runc/containerd do: `name`,
 * `uid`, `name:group`, `uid:gid` (numbers taken as they are); the primary group from /etc/passwd when
 * only a user is given, supplementary groups from /etc/group.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SkiffError } from '../../../util/errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** $HOME from /etc/passwd (`/` when the user has no entry), as runc sets it when the image does not. */
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function readTable(rootfs: string, file: string): string[][] {
  try {
    return fs
      .readFileSync(path.join(rootfs, 'etc', file), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

const numeric = (s: string): boolean => /^\d+$/.test(s);

export function resolveUser(rootfs: string, user: string | undefined): ResolvedUser {
  const spec = user?.trim() || '0';
  const [u = '0', g] = spec.split(':', 2);
  const passwd: PasswdEntry[] = readTable(rootfs, 'passwd').map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' }));
  const groups = readTable(rootfs, 'group').map((f) => ({ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
  const entry = numeric(u) ? passwd.find((p) => p.uid === Number(u)) : passwd.find((p) => p.name === u);
  if (!entry && !numeric(u)) throw new SkiffError('StartError', `unable to find user ${u}: no matching entries in passwd file`);
  const uid = entry?.uid ?? Number(u);
  let gid = entry?.gid ?? 0;
  if (g !== undefined && g !== '') {
    if (numeric(g)) gid = Number(g);
    else {
      const grp = groups.find((x) => x.name === g);
      if (!grp) throw new SkiffError('StartError', `unable to find group ${g}: no matching entries in group file`);
      gid = grp.gid;
    }
  }
  // the primary group first, as containerd lists them (so `id` shows it among the groups)
  const additionalGids = [gid, ...(entry && g === undefined ? groups.filter((x) => x.members.includes(entry.name) && x.gid !== gid).map((x) => x.gid) : [])];
  return { uid, gid, additionalGids, home: entry?.home ?? '/' };
}
