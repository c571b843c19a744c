import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { Type } from '@sinclair/typebox';
import { defineLayer, optionalDependencyOutput } from '../lib/types';
import { gcpCommon, gcpName } from './common';

const Service = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,40}$', description: 'Service name.' }),
    image: Type.String({
      minLength: 1,
      default: 'us-docker.pkg.dev/cloudrun/container/hello',
      description: 'Container image.',
    }),
    port: Type.Integer({
      minimum: 1,
      maximum: 65535,
      default: 8080,
      description: 'Container port.',
    }),
    cpu: Type.String({
      pattern: '^[0-9]+(\\.[0-9]+)?$|^[0-9]+m$',
      default: '1',
      description: 'CPU limit, e.g. 1, 2, 500m.',
    }),
    memory: Type.String({
      pattern: '^[0-9]+(Mi|Gi)$',
      default: '512Mi',
      description: 'Memory limit.',
    }),
    minInstances: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 0,
      description: 'Instances kept warm.',
    }),
    maxInstances: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 3,
      description: 'Scaling ceiling.',
    }),
    public: Type.Boolean({
      default: false,
      description: 'Allow unauthenticated invocations (allUsers).',
    }),
  },
  { additionalProperties: false },
);

export const gcpCompute = defineLayer({
  target: 'gcp',
  layer: 'compute',
  description:
    "Cloud Run services with direct VPC egress into the network layer's subnet and the data/storage connection settings as environment variables, or a private GKE cluster with an autoscaled node pool; chosen by `mode`.",
  config: Type.Object(
    {
      ...gcpCommon,
      mode: Type.Union([Type.Literal('cloudrun'), Type.Literal('gke')], {
        default: 'cloudrun',
        description: 'Cloud Run services or a GKE cluster.',
      }),
      services: Type.Array(Service, {
        default: [
          {
            name: 'app',
            image: 'us-docker.pkg.dev/cloudrun/container/hello',
            port: 8080,
            cpu: '1',
            memory: '512Mi',
            minInstances: 0,
            maxInstances: 3,
            public: true,
          },
        ],
        maxItems: 20,
        description: 'Cloud Run services (mode cloudrun).',
      }),
      machineType: Type.String({
        pattern: '^[a-z0-9]+-[a-z]+(-[0-9]+)?$',
        default: 'e2-standard-2',
        description: 'GKE node machine type.',
      }),
      minNodes: Type.Integer({
        minimum: 1,
        maximum: 100,
        default: 1,
        description: 'GKE nodes per zone, minimum.',
      }),
      maxNodes: Type.Integer({
        minimum: 1,
        maximum: 100,
        default: 3,
        description: 'GKE nodes per zone, maximum.',
      }),
      masterCidr: Type.String({
        pattern: '^(\\d{1,3}\\.){3}\\d{1,3}/28$',
        default: '172.16.0.0/28',
        description: 'GKE control plane range (/28).',
      }),
      deletionProtection: Type.Boolean({
        default: false,
        description: 'Refuse to delete the cluster / services.',
      }),
    },
    { additionalProperties: false },
  ),
  presets: { prod: { minNodes: 3, maxNodes: 10, machineType: 'e2-standard-4' } },
  enforced: { prod: { deletionProtection: true } },
  outputs: [
    { name: 'url', env: 'SERVICE_URL', description: 'URL of the first Cloud Run service.' },
    {
      name: 'serviceNames',
      env: 'CLOUD_RUN_SERVICES',
      description: 'Cloud Run services, comma-separated.',
    },
    { name: 'clusterName', env: 'GKE_CLUSTER', description: 'GKE cluster name.' },
    {
      name: 'clusterEndpoint',
      env: 'GKE_ENDPOINT',
      secret: true,
      description: 'GKE control plane address.',
    },
  ],
  program: (args) => async () => {
    const c = args.config;
    const project = c.project;
    const networkId = optionalDependencyOutput(args, 'network', 'networkId');
    const subnetId = optionalDependencyOutput(args, 'network', 'subnetId');
    if (c.mode === 'gke') {
      if (!networkId || !subnetId)
        throw new Error('compute: a GKE cluster needs a gcp network layer');
      const cluster = new gcp.container.Cluster('cluster', {
        name: gcpName(args.environment),
        location: c.region,
        network: networkId,
        subnetwork: subnetId,
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        deletionProtection: c.deletionProtection,
        releaseChannel: { channel: 'REGULAR' },
        ipAllocationPolicy: {},
        privateClusterConfig: {
          enablePrivateNodes: true,
          enablePrivateEndpoint: false,
          masterIpv4CidrBlock: c.masterCidr,
        },
        workloadIdentityConfig: project ? { workloadPool: `${project}.svc.id.goog` } : undefined,
        project,
      });
      new gcp.container.NodePool('nodes', {
        cluster: cluster.name,
        location: c.region,
        autoscaling: { minNodeCount: c.minNodes, maxNodeCount: c.maxNodes },
        management: { autoRepair: true, autoUpgrade: true },
        nodeConfig: {
          machineType: c.machineType,
          oauthScopes: ['https://www.googleapis.com/auth/cloud-platform'],
          shieldedInstanceConfig: { enableSecureBoot: true },
        },
        project,
      });
      return { clusterName: cluster.name, clusterEndpoint: pulumi.secret(cluster.endpoint) };
    }

    // Non-secret connection settings only; secrets belong in Secret Manager, not in env vars.
    const env = (
      [
        ['DB_HOST', 'data', 'host'],
        ['DB_PORT', 'data', 'port'],
        ['DB_NAME', 'data', 'database'],
        ['DB_USER', 'data', 'username'],
        ['STORAGE_ENDPOINT', 'storage', 'endpoint'],
        ['STORAGE_BUCKET', 'storage', 'bucket'],
      ] as const
    ).flatMap(([name, layer, output]) => {
      const value = optionalDependencyOutput(args, layer, output);
      return value ? [{ name, value: value.apply((v) => (v === undefined ? '' : String(v))) }] : [];
    });
    const services = c.services.map((s) => {
      const service = new gcp.cloudrunv2.Service(s.name, {
        name: gcpName(args.environment, s.name),
        location: c.region,
        ingress: 'INGRESS_TRAFFIC_ALL',
        deletionProtection: c.deletionProtection,
        project,
        template: {
          scaling: { minInstanceCount: s.minInstances, maxInstanceCount: s.maxInstances },
          vpcAccess:
            networkId && subnetId
              ? {
                  egress: 'PRIVATE_RANGES_ONLY',
                  networkInterfaces: [{ network: networkId, subnetwork: subnetId }],
                }
              : undefined,
          containers: [
            {
              image: s.image,
              ports: { containerPort: s.port },
              resources: { limits: { cpu: s.cpu, memory: s.memory } },
              envs: env,
            },
          ],
        },
      });
      if (s.public) {
        new gcp.cloudrunv2.ServiceIamMember(`${s.name}-public`, {
          name: service.name,
          location: c.region,
          role: 'roles/run.invoker',
          member: 'allUsers',
          project,
        });
      }
      return service;
    });
    return {
      url: services[0]?.uri ?? '',
      serviceNames: pulumi.all(services.map((s) => s.name)).apply((n) => n.join(',')),
    };
  },
});
