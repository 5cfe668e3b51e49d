/**
 * Where a built-in image listens: in a pod network namespace of its own (netns mode: the pod IP sits on
 * eth0 and the namespace has no other address) it listens on 0.0.0.0 as the real image does; where pods
 * share the node's network (loopback mode, hostNetwork) it binds the pod IP only, so pods do not collide.
 */
import os from 'node:os';

export function listenAddress(podIP: string, interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): string {
  const external = Object.entries(interfaces).flatMap(([name, addrs]) => (addrs ?? []).filter((a) => !a.internal && a.family === 'IPv4').map((a) => ({ name, address: a.address })));
  const own = external.find((a) => a.address === podIP);
  if (!own) return podIP;
  return external.every((a) => a.name === own.name) ? '0.0.0.0' : podIP;
}
