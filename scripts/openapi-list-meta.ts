/**
 * Patch and list metadata Kubernetes declares on its main lists (struct tags `patchStrategy`/`patchMergeKey`
 * and `+listType`/`+listMapKey`), which neither npm package carries. kubectl computes strategic merge
 * patches from these when it has v3 schemas, so they must match kube's. Keyed `dir.version.Type`.
 */
type Schema = Record<string, unknown>;

export const listMeta: Record<string, Record<string, Schema>> = {
  'core.v1.PodSpec': {
    containers: { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    initContainers: { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    ephemeralContainers: { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    volumes: { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge,retainKeys', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    imagePullSecrets: { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    hostAliases: { 'x-kubernetes-patch-merge-key': 'ip', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['ip'] },
    topologySpreadConstraints: { 'x-kubernetes-patch-merge-key': 'topologyKey', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['topologyKey', 'whenUnsatisfiable'] },
    tolerations: { 'x-kubernetes-list-type': 'atomic' },
    resourceClaims: { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge,retainKeys', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    schedulingGates: { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
  },
  'core.v1.Container': {
    ports: { 'x-kubernetes-patch-merge-key': 'containerPort', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['containerPort', 'protocol'] },
    env: { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    volumeMounts: { 'x-kubernetes-patch-merge-key': 'mountPath', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['mountPath'] },
    volumeDevices: { 'x-kubernetes-patch-merge-key': 'devicePath', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['devicePath'] },
    envFrom: { 'x-kubernetes-list-type': 'atomic' },
    command: { 'x-kubernetes-list-type': 'atomic' },
    args: { 'x-kubernetes-list-type': 'atomic' },
    resizePolicy: { 'x-kubernetes-list-type': 'atomic' },
  },
  'core.v1.EphemeralContainer': {
    ports: { 'x-kubernetes-patch-merge-key': 'containerPort', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['containerPort', 'protocol'] },
    env: { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
    volumeMounts: { 'x-kubernetes-patch-merge-key': 'mountPath', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['mountPath'] },
    volumeDevices: { 'x-kubernetes-patch-merge-key': 'devicePath', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['devicePath'] },
  },
  'core.v1.ServiceSpec': {
    ports: { 'x-kubernetes-patch-merge-key': 'port', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port', 'protocol'] },
    clusterIPs: { 'x-kubernetes-list-type': 'atomic' },
    ipFamilies: { 'x-kubernetes-list-type': 'atomic' },
    externalIPs: { 'x-kubernetes-list-type': 'atomic' },
    loadBalancerSourceRanges: { 'x-kubernetes-list-type': 'atomic' },
    selector: { 'x-kubernetes-map-type': 'atomic' },
  },
  'core.v1.ServiceStatus': { conditions: { 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] } },
  'core.v1.LoadBalancerStatus': { ingress: { 'x-kubernetes-list-type': 'atomic' } },
  'core.v1.PodStatus': {
    conditions: { 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
    podIPs: { 'x-kubernetes-patch-merge-key': 'ip', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['ip'] },
    hostIPs: { 'x-kubernetes-patch-merge-key': 'ip', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'atomic' },
    containerStatuses: { 'x-kubernetes-list-type': 'atomic' },
  },
  'core.v1.NodeStatus': {
    addresses: { 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
    conditions: { 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
  },
  'core.v1.NodeSpec': { podCIDRs: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' }, taints: { 'x-kubernetes-list-type': 'atomic' } },
  'core.v1.Endpoints': { subsets: { 'x-kubernetes-list-type': 'atomic' } },
  'core.v1.EndpointSubset': { addresses: { 'x-kubernetes-list-type': 'atomic' }, notReadyAddresses: { 'x-kubernetes-list-type': 'atomic' }, ports: { 'x-kubernetes-list-type': 'atomic' } },
  'apps.v1.DeploymentStatus': { conditions: { 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] } },
  'apps.v1.ReplicaSetStatus': { conditions: { 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] } },
  'apps.v1.StatefulSetStatus': { conditions: { 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] } },
  'apps.v1.StatefulSetSpec': { volumeClaimTemplates: { 'x-kubernetes-list-type': 'atomic' } },
  'apps.v1.DaemonSetStatus': { conditions: { 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] } },
  'discovery.v1.EndpointSlice': { endpoints: { 'x-kubernetes-list-type': 'atomic' }, ports: { 'x-kubernetes-list-type': 'atomic' } },
  'networking.v1.IngressSpec': { rules: { 'x-kubernetes-list-type': 'atomic' }, tls: { 'x-kubernetes-list-type': 'atomic' } },
  'networking.v1.HTTPIngressRuleValue': { paths: { 'x-kubernetes-list-type': 'atomic' } },
  'meta.v1.ObjectMeta': {
    ownerReferences: { 'x-kubernetes-patch-merge-key': 'uid', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['uid'] },
    finalizers: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' },
    managedFields: { 'x-kubernetes-list-type': 'atomic' },
  },
  'meta.v1.LabelSelector': { matchExpressions: { 'x-kubernetes-list-type': 'atomic' } },
};

