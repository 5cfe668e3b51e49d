/**
 * Hand-written schemas for MetalLB's metallb.io/v1beta1 kinds (no client-node model exists). Field meanings
 * follow MetalLB's api/v1beta1 types. Named the way kube-apiserver names CRD schemas (reversed group), and
 * nested inline as CRD schemas are.
 */
type Schema = Record<string, unknown>;

const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${meta}.${name}` });
const apiVersion = {
  description: 'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
  type: 'string',
};
const kind = {
  description: 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
  type: 'string',
};
const objectMeta = { allOf: [ref('ObjectMeta')], description: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata" };
const selectors = (description: string): Schema => ({ description, type: 'array', items: ref('LabelSelector') });

function list(item: string, kindName: string): Schema {
  return {
    description: `${kindName}List is a list of ${kindName}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion,
      items: { description: `List of ${kindName.toLowerCase()}s.`, type: 'array', items: { $ref: `#/components/schemas/${item}` } },
      kind,
      metadata: { allOf: [ref('ListMeta')], description: 'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds' },
    },
    'x-kubernetes-group-version-kind': [{ group: 'metallb.io', version: 'v1beta1', kind: `${kindName}List` }],
  };
}

export function metallbSchemas(): Record<string, Schema> {
  const pool = 'io.metallb.v1beta1.IPAddressPool';
  const l2 = 'io.metallb.v1beta1.L2Advertisement';
  return {
    [pool]: {
      description: 'IPAddressPool represents a pool of IP addresses that can be allocated to LoadBalancer services.',
      type: 'object',
      required: ['spec'],
      properties: {
        apiVersion,
        kind,
        metadata: objectMeta,
        spec: {
          description: 'IPAddressPoolSpec defines the desired state of IPAddressPool.',
          type: 'object',
          required: ['addresses'],
          properties: {
            addresses: {
              description: 'A list of IP address ranges over which MetalLB has authority. You can list multiple ranges in a single pool, they will all share the same settings. Each range can be either a CIDR prefix, or an explicit start-end range of IPs.',
              type: 'array',
              items: { type: 'string' },
            },
            autoAssign: { description: 'AutoAssign flag used to prevent MetallB from automatic allocation for a pool.', type: 'boolean', default: true },
            avoidBuggyIPs: { description: 'AvoidBuggyIPs prevents addresses ending with .0 and .255 to be used by a pool.', type: 'boolean', default: false },
            serviceAllocation: {
              description: "AllocateTo makes ip pool allocation to specific namespace and/or service. The controller will use the pool with lowest value of priority in case of multiple matches. A pool with no priority set will be used only if the pools with priority can't be used. If multiple matching IPAddressPools are available it will check for the availability of IPs sorting the matching IPAddressPools by priority, starting from the highest to the lowest. If multiple IPAddressPools have the same priority, choice will be random.",
              type: 'object',
              properties: {
                namespaceSelectors: selectors('NamespaceSelectors list of label selectors to select namespace(s) for ip pool, an alternative to using namespace list.'),
                namespaces: { description: 'Namespaces list of namespace(s) on which ip pool can be attached.', type: 'array', items: { type: 'string' } },
                priority: { description: 'Priority priority given for ip pool while ip allocation on a service.', type: 'integer' },
                serviceSelectors: selectors('ServiceSelectors list of label selector to select service(s) for which ip pool can be used for ip allocation.'),
              },
            },
          },
        },
        status: {
          description: 'IPAddressPoolStatus defines the observed state of IPAddressPool.',
          type: 'object',
          properties: {
            assignedIPv4: { description: 'AssignedIPv4 is the number of assigned IPv4 addresses.', type: 'integer', format: 'int64' },
            assignedIPv6: { description: 'AssignedIPv6 is the number of assigned IPv6 addresses.', type: 'integer', format: 'int64' },
            availableIPv4: { description: 'AvailableIPv4 is the number of available IPv4 addresses.', type: 'integer', format: 'int64' },
            availableIPv6: { description: 'AvailableIPv6 is the number of available IPv6 addresses.', type: 'integer', format: 'int64' },
          },
        },
      },
      'x-kubernetes-group-version-kind': [{ group: 'metallb.io', version: 'v1beta1', kind: 'IPAddressPool' }],
    },
    [`${pool}List`]: list(pool, 'IPAddressPool'),
    [l2]: {
      description: 'L2Advertisement allows to advertise the LoadBalancer IPs provided by the selected pools via L2.',
      type: 'object',
      properties: {
        apiVersion,
        kind,
        metadata: objectMeta,
        spec: {
          description: 'L2AdvertisementSpec defines the desired state of L2Advertisement.',
          type: 'object',
          properties: {
            interfaces: {
              description: 'A list of interfaces to announce from. The LB IP will be announced only from these interfaces. If the field is not set, we advertise from all the interfaces on the host.',
              type: 'array',
              items: { type: 'string' },
            },
            ipAddressPoolSelectors: selectors('A selector for the IPAddressPools which would get advertised via this advertisement. If no IPAddressPool is selected by this or by the list, the advertisement is applied to all the IPAddressPools.'),
            ipAddressPools: { description: 'The list of IPAddressPools to advertise via this advertisement, selected by name.', type: 'array', items: { type: 'string' } },
            nodeSelectors: selectors('NodeSelectors allows to limit the nodes to announce as next hops for the LoadBalancer IP. When empty, all the nodes having  are announced as next hops.'),
          },
        },
        status: { description: 'L2AdvertisementStatus defines the observed state of L2Advertisement.', type: 'object' },
      },
      'x-kubernetes-group-version-kind': [{ group: 'metallb.io', version: 'v1beta1', kind: 'L2Advertisement' }],
    },
    [`${l2}List`]: list(l2, 'L2Advertisement'),
  };
}
