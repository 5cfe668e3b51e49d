/**
 * ClusterIP and NodePort allocation for Services (pkg/registry/core/service/storage/alloc.go).
 *
 * Order in the registry: decode + applyDefaults, the strategy's prepareForUpdate, validation, then
 * allocateCreate/allocateUpdate (admission: fills clusterIP(s), nodePorts and healthCheckNodePort and
 * returns a transaction), then the storage write; finally `commit()` once the write committed
 * (performs deferred releases) or `revert()` if it failed (frees what was taken).
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import { needsClusterIP, needsHealthCheck, needsNodePort, normalizeClusterIPs, servicePortNodePorts, shouldAllocateNodePorts } from '../../api/kinds/service.js';
import { validateServiceClusterIPsRelatedFields } from '../../api/kinds/service-validation.js';
import type { FieldError } from '../../api/status.js';
import { internalError, invalid, StatusError } from '../../api/status.js';
import { invalid as invalidField } from '../../api/validation/field.js';
import { errorMessage } from '../../util/errors.js';
import { IPAllocator } from './ipallocator.js';
import type { PortRange } from './portallocator.js';
import { PortAllocator } from './portallocator.js';

export interface ServiceAllocatorOptions {
  serviceCIDR: string;
  /** `30000-32767` (the default) or a parsed range. */
  nodePortRange?: string | PortRange;
  random?: () => number;
}

export interface AllocationTransaction {
  /** The write succeeded: perform the releases that were deferred until now. */
  commit(): void;
  /** The write failed: give back everything this call took (and, after a commit, re-take what it released). */
  revert(): void;
}

function invalidService(svc: Service, errs: FieldError[]): StatusError {
  // the registry stamps apiVersion and kind on what it admits
  return invalid({ group: '', kind: svc.kind ?? '' }, svc.metadata?.name ?? '', errs);
}

class Transaction implements AllocationTransaction {
  private readonly takenIPs: string[] = [];
  private readonly takenPorts: number[] = [];
  private readonly releaseIPs: string[] = [];
  private readonly releasePorts: number[] = [];
  private committed = false;

  constructor(
    private readonly ips: IPAllocator,
    private readonly ports: PortAllocator,
  ) {}

  allocateIP(ip: string): void {
    this.ips.allocate(ip);
    this.takenIPs.push(ip);
  }
  nextIP(): string {
    const ip = this.ips.allocateNext();
    this.takenIPs.push(ip);
    return ip;
  }
  allocatePort(p: number): void {
    this.ports.allocate(p);
    this.takenPorts.push(p);
  }
  nextPort(): number {
    const p = this.ports.allocateNext();
    this.takenPorts.push(p);
    return p;
  }
  deferReleaseIP(ip: string): void {
    this.releaseIPs.push(ip);
  }
  deferReleasePort(p: number): void {
    this.releasePorts.push(p);
  }
  commit(): void {
    if (this.committed) return;
    this.committed = true;
    for (const ip of this.releaseIPs) this.ips.release(ip);
    for (const p of this.releasePorts) this.ports.release(p);
  }
  revert(): void {
    for (const ip of this.takenIPs.splice(0)) this.ips.release(ip);
    for (const p of this.takenPorts.splice(0)) this.ports.release(p);
    // After a commit, take back what was released (best effort: someone may have taken it since).
    if (this.committed) {
      for (const ip of this.releaseIPs) if (!this.ips.has(ip)) this.ips.allocate(ip);
      for (const p of this.releasePorts) if (!this.ports.has(p)) this.ports.allocate(p);
    }
    this.releaseIPs.length = 0;
    this.releasePorts.length = 0;
    this.committed = false;
  }
}

const nodePortsOf = servicePortNodePorts;

function realClusterIPs(svc: Service): string[] {
  return (svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : [])).filter((ip) => ip && ip !== 'None');
}

export class ServiceAllocator {
  readonly ips: IPAllocator;
  readonly ports: PortAllocator;

  constructor(opts: ServiceAllocatorOptions) {
    this.ips = new IPAllocator({ cidr: opts.serviceCIDR, random: opts.random });
    this.ports = new PortAllocator({ range: opts.nodePortRange, random: opts.random });
  }

  /** The `kubernetes` Service's address: the first IP of the service CIDR. */
  get kubernetesServiceIP(): string {
    return this.ips.kubernetesServiceIP;
  }

  /** Fills and reserves clusterIP(s), nodePorts and healthCheckNodePort of a Service being created. */
  allocateCreate(svc: Service): AllocationTransaction {
    normalizeClusterIPs(svc);
    this.preValidate(svc);
    const txn = new Transaction(this.ips, this.ports);
    try {
      if (needsClusterIP(svc)) this.allocClusterIPs(svc, txn);
      if (needsNodePort(svc)) this.initNodePorts(svc, txn);
      if (needsHealthCheck(svc)) this.allocHealthCheckNodePort(svc, txn);
    } catch (err) {
      txn.revert();
      throw err;
    }
    return txn;
  }

  /**
   * The same for an update the strategy prepared (prepareServiceForUpdate: allocated values a PUT omitted
   * kept, type-dependent fields dropped); releases of values no longer used wait for `commit()`.
   */
  allocateUpdate(svc: Service, old: Service): AllocationTransaction {
    this.preValidate(svc, old);
    const txn = new Transaction(this.ips, this.ports);
    try {
      if (!needsClusterIP(old) && needsClusterIP(svc)) this.allocClusterIPs(svc, txn);
      else if (needsClusterIP(old) && !needsClusterIP(svc)) for (const ip of realClusterIPs(old)) txn.deferReleaseIP(ip);
      if (needsNodePort(svc)) this.updateNodePorts(svc, old, txn);
      else for (const p of nodePortsOf(old)) txn.deferReleasePort(p);
      const hadHC = needsHealthCheck(old);
      const hasHC = needsHealthCheck(svc);
      if (!hadHC && hasHC) this.allocHealthCheckNodePort(svc, txn);
      else if (hadHC && !hasHC && old.spec?.healthCheckNodePort) txn.deferReleasePort(old.spec.healthCheckNodePort);
    } catch (err) {
      txn.revert();
      throw err;
    }
    return txn;
  }

  /** A Service was deleted: free its addresses and ports. */
  releaseService(svc: Service): void {
    for (const ip of realClusterIPs(svc)) this.ips.release(ip);
    for (const p of nodePortsOf(svc)) this.ports.release(p);
    if (svc.spec?.healthCheckNodePort) this.ports.release(svc.spec.healthCheckNodePort);
  }

  /** Rebuilds the bitmaps from stored Services at start-up; returns what could not be re-reserved. */
  restore(services: Service[]): string[] {
    const problems: string[] = [];
    const take = (what: string, fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        problems.push(`${what}: ${errorMessage(err)}`);
      }
    };
    for (const svc of services) {
      const id = `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
      for (const ip of realClusterIPs(svc)) take(`${id} clusterIP ${ip}`, () => this.ips.allocate(ip));
      for (const p of new Set(nodePortsOf(svc))) take(`${id} nodePort ${p}`, () => this.ports.allocate(p));
      const hc = svc.spec?.healthCheckNodePort;
      if (hc) take(`${id} healthCheckNodePort ${hc}`, () => this.ports.allocate(hc));
    }
    return problems;
  }

  private preValidate(svc: Service, old?: Service): void {
    const errs = validateServiceClusterIPsRelatedFields(svc, old);
    const spec = svc.spec ?? {};
    if (needsClusterIP(svc)) {
      if (spec.ipFamilyPolicy === 'RequireDualStack') errs.push(invalidField('spec.ipFamilyPolicy', spec.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'));
      if (spec.ipFamilyPolicy !== 'RequireDualStack' && (spec.ipFamilies ?? []).length > 1) spec.ipFamilies = spec.ipFamilies!.slice(0, 1);
      (spec.ipFamilies ?? []).forEach((f, i) => {
        if (f !== this.ips.family) errs.push(invalidField(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
      });
    }
    if (errs.length) throw invalidService(svc, errs);
  }

  private allocClusterIPs(svc: Service, txn: Transaction): void {
    const spec = (svc.spec ??= {});
    if (spec.clusterIPs?.[0] === 'None') {
      spec.clusterIP = 'None';
      return;
    }
    if (!spec.clusterIPs?.length) {
      let ip: string;
      try {
        ip = txn.nextIP();
      } catch (err) {
        throw internalError(`failed to allocate a serviceIP: ${errorMessage(err)}`);
      }
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
      return;
    }
    for (const ip of spec.clusterIPs) {
      try {
        txn.allocateIP(ip);
      } catch (err) {
        throw invalidService(svc, [invalidField('spec.clusterIPs', spec.clusterIPs, `failed to allocated ip:${ip} with error:${errorMessage(err)}`)]);
      }
    }
    spec.clusterIP = spec.clusterIPs[0];
  }

  /** initNodePorts: ports sharing a port number (53/TCP, 53/UDP) share one nodePort. */
  private initNodePorts(svc: Service, txn: Transaction): void {
    const ports = svc.spec?.ports ?? [];
    const byPort = new Map<number, number>();
    ports.forEach((sp, i) => {
      if (!sp.nodePort && !shouldAllocateNodePorts(svc)) return;
      const allocated = byPort.get(sp.port) ?? 0;
      if (allocated === 0) {
        const requested = ports.find((p) => p.port === sp.port && p.nodePort)?.nodePort ?? 0;
        if (requested) {
          this.takePort(svc, txn, requested, i);
          sp.nodePort = requested;
          byPort.set(sp.port, requested);
        } else {
          sp.nodePort = this.nextPort(txn);
          byPort.set(sp.port, sp.nodePort);
        }
      } else if ((sp.nodePort ?? 0) !== allocated) {
        if (!sp.nodePort) sp.nodePort = allocated;
        else this.takePort(svc, txn, sp.nodePort, i);
      }
    });
  }

  private updateNodePorts(svc: Service, old: Service, txn: Transaction): void {
    const oldPorts = new Set(nodePortsOf(old));
    const taken = new Set<number>();
    (svc.spec?.ports ?? []).forEach((sp, i) => {
      if (!sp.nodePort && !shouldAllocateNodePorts(svc)) return;
      if (sp.nodePort) {
        if (!oldPorts.has(sp.nodePort) && !taken.has(sp.nodePort)) {
          this.takePort(svc, txn, sp.nodePort, i);
          taken.add(sp.nodePort);
        }
      } else {
        sp.nodePort = this.nextPort(txn);
      }
    });
    const now = new Set(nodePortsOf(svc));
    for (const p of oldPorts) if (!now.has(p)) txn.deferReleasePort(p);
  }

  private takePort(svc: Service, txn: Transaction, port: number, i: number): void {
    try {
      txn.allocatePort(port);
    } catch (err) {
      throw invalidService(svc, [invalidField(`spec.ports[${i}].nodePort`, port, errorMessage(err))]);
    }
  }

  private nextPort(txn: Transaction): number {
    try {
      return txn.nextPort();
    } catch (err) {
      throw internalError(`failed to allocate a nodePort: ${errorMessage(err)}`);
    }
  }

  private allocHealthCheckNodePort(svc: Service, txn: Transaction): void {
    const spec = svc.spec!;
    const hc = spec.healthCheckNodePort ?? 0;
    if (hc) {
      try {
        txn.allocatePort(hc);
      } catch (err) {
        throw internalError(`failed to allocate requested HealthCheck NodePort ${hc}: ${errorMessage(err)}`);
      }
      return;
    }
    try {
      spec.healthCheckNodePort = txn.nextPort();
    } catch (err) {
      throw internalError(`failed to allocate a HealthCheck NodePort 0: ${errorMessage(err)}`);
    }
  }
}
