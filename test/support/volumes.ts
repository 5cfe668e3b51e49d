/**
 * Shell snippets for pods that read their volumes in either mode: with mount namespaces a path is where
 * the volume is mounted; in loopback mode without them, the kubelet's SKIFF_MOUNTS (`containerPath=hostPath`
 * per line) says where it lives. `$(vol /etc/x)` is the path to use.
 */
export const volShell = `vol() { h=$(printf '%s\\n' "$SKIFF_MOUNTS" | sed -n "s|^$1=||p"); echo "\${h:-$1}"; }; `;

/** True when a pod's env shows the runtime mounted its volumes (no SKIFF_VOLUME_* stand-ins). */
export function mountedFromEnv(envDump: string): boolean {
  return !/^SKIFF_VOLUME_/m.test(envDump);
}
