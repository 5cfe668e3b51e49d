/** hostPath volumes: the `type` checks of pkg/volume/hostpath (DirectoryOrCreate, File, Socket, ...). */
import fs from 'node:fs';

/** Checks (and for the *OrCreate types, creates) `p`; returns the kubelet's message on failure. */
export function checkHostPathType(p: string, type: string | undefined): string | undefined {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(p);
  } catch {
    st = undefined;
  }
  switch (type ?? '') {
    case '':
      return undefined;
    case 'DirectoryOrCreate':
      if (!st) {
        fs.mkdirSync(p, { recursive: true, mode: 0o755 });
        return undefined;
      }
      return st.isDirectory() ? undefined : `hostPath type check failed: ${p} is not a directory`;
    case 'Directory':
      if (!st) return `hostPath type check failed: ${p} is not a directory`;
      return st.isDirectory() ? undefined : `hostPath type check failed: ${p} is not a directory`;
    case 'FileOrCreate':
      if (!st) {
        try {
          fs.closeSync(fs.openSync(p, fs.constants.O_CREAT | fs.constants.O_RDONLY, 0o644));
        } catch (err) {
          return `hostPath type check failed: ${p}: ${(err as Error).message}`;
        }
        return undefined;
      }
      return st.isFile() ? undefined : `hostPath type check failed: ${p} is not a file`;
    case 'File':
      return st?.isFile() ? undefined : `hostPath type check failed: ${p} is not a file`;
    case 'Socket':
      return st?.isSocket() ? undefined : `hostPath type check failed: ${p} is not a socket file`;
    case 'CharDevice':
      return st?.isCharacterDevice() ? undefined : `hostPath type check failed: ${p} is not a character device`;
    case 'BlockDevice':
      return st?.isBlockDevice() ? undefined : `hostPath type check failed: ${p} is not a block device`;
    default:
      return `hostPath type check failed: unsupported type ${type}`;
  }
}
