import type { Stage } from '../../core/domain';
import type { Blueprint } from '../lib/types';

/** Cloudflare's published edge ranges: the cluster's web ports answer only the proxy. */
const CLOUDFLARE_RANGES = [
  '173.245.48.0/20',
  '103.21.244.0/22',
  '103.22.200.0/22',
  '103.31.4.0/22',
  '141.101.64.0/18',
  '108.162.192.0/18',
  '190.93.240.0/20',
  '188.114.96.0/20',
  '197.234.240.0/22',
  '198.41.128.0/17',
  '162.158.0.0/15',
  '104.16.0.0/13',
  '104.24.0.0/14',
  '172.64.0.0/13',
  '131.0.72.0/22',
  '2400:cb00::/32',
  '2606:4700::/32',
  '2803:f800::/32',
  '2405:b500::/32',
  '2405:8100::/32',
  '2a06:98c0::/29',
  '2c0f:f248::/32',
];

/** The seed's domains: chat.example.com in prod, chat.<stage>.example.com elsewhere. */
function edge(stage: Stage): Record<string, unknown> {
  const domain = stage === 'prod' ? 'example.com' : `${stage}.example.com`;
  const hooks = `hooks.${domain}`;
  return {
    records: [
      // Traefik on every swarm node: one proxied A record per reserved Hetzner address.
      { name: `chat.${domain}`, type: 'A', proxied: true },
      { name: `auth.${domain}`, type: 'A', proxied: true },
      // Worker-only hostname: the conventional originless AAAA record, proxied.
      { name: hooks, type: 'AAAA', content: '100::', proxied: true },
    ],
    rateLimits: [
      {
        name: 'webhooks',
        pathPrefix: '/',
        requestsPerPeriod: stage === 'prod' ? 600 : 120,
        period: 60,
        mitigationTimeout: 600,
        action: 'block',
      },
    ],
    managedWaf: stage === 'prod',
    workers: [
      {
        name: 'aircall-webhook',
        routes: [`${hooks}/aircall*`],
        vars: { STAGE: stage },
        bindBucket: false,
      },
      {
        name: 'guesty-webhook',
        routes: [`${hooks}/guesty*`],
        vars: { STAGE: stage },
        bindBucket: false,
      },
      {
        name: 'llm-query',
        routes: [`${hooks}/llm-query*`],
        vars: { STAGE: stage },
        bindBucket: false,
      },
    ],
    compatibilityDate: '2025-09-01',
  };
}

/** Seed 003: a Hetzner Docker Swarm cluster with Cloudflare at the edge and GCP for serverless. */
export const multicloudHetzner: Blueprint = {
  name: 'multicloud-hetzner',
  version: '1.0.0',
  description:
    'Hetzner Cloud 3-node cluster (private network, firewall open only to Cloudflare, spread placement, volumes, reserved IPs); Cloudflare DNS, R2 backup bucket, rate limiting and the Aircall/Guesty webhook and LLM-query Workers; GCP Firestore, Cloud Functions (backup, vectorize), Cloud Scheduler and Pub/Sub, with uptime and failure alerts.',
  seeds: ['003'],
  layers: {
    network: {
      target: 'hcloud',
      config: {
        ipRange: '10.0.0.0/16',
        subnetRange: '10.0.1.0/24',
        networkZone: 'eu-central',
        location: 'fsn1',
        firewallRules: [
          {
            direction: 'in',
            protocol: 'tcp',
            port: '443',
            sourceIps: CLOUDFLARE_RANGES,
            description: 'HTTPS from Cloudflare only',
          },
          {
            direction: 'in',
            protocol: 'tcp',
            port: '80',
            sourceIps: CLOUDFLARE_RANGES,
            description: 'HTTP from Cloudflare only',
          },
          {
            direction: 'in',
            protocol: 'icmp',
            sourceIps: ['0.0.0.0/0', '::/0'],
            description: 'ping',
          },
        ],
        primaryIps: 3,
      },
    },
    data: {
      target: 'gcp',
      config: { postgres: false, firestore: true, firestoreLocation: 'eur3' },
    },
    storage: {
      target: 'cloudflare',
      config: { bucket: 'backups', jurisdiction: 'eu', expireAfterDays: 400, edge: edge('prod') },
    },
    compute: {
      target: 'hcloud',
      config: { nodeCount: 3, location: 'fsn1', installDocker: true, volumeSize: 40 },
    },
    serverless: {
      target: 'gcp',
      config: {
        region: 'europe-west1',
        firestoreLocation: 'eur3',
        topics: ['rocketchat-messages', 'backup-status'],
        functions: [
          {
            name: 'backup',
            trigger: 'http',
            runtime: 'nodejs22',
            timeoutSeconds: 540,
            maxInstances: 1,
          },
          {
            name: 'vectorize',
            trigger: 'pubsub',
            topic: 'rocketchat-messages',
            runtime: 'nodejs22',
          },
          {
            name: 'vectorize-records',
            trigger: 'firestore',
            firestoreDocument: 'records/{id}',
            runtime: 'nodejs22',
          },
        ],
        schedules: [
          { name: 'daily-backup', schedule: '0 3 * * *', timeZone: 'Etc/UTC', function: 'backup' },
        ],
      },
    },
    observability: {
      target: 'gcp',
      config: { uptimeChecks: [{ name: 'chat', host: 'chat.example.com', path: '/api/info' }] },
    },
  },
  stages: {
    dev: {
      network: { primaryIps: 1 },
      compute: { nodeCount: 1, serverType: 'cx22', volumeSize: 20 },
      storage: { expireAfterDays: 30, edge: edge('dev') },
      observability: { uptimeChecks: [] },
    },
    staging: {
      network: { primaryIps: 3 },
      compute: { nodeCount: 3, serverType: 'cx22' },
      storage: { expireAfterDays: 90, edge: edge('staging') },
      observability: {
        uptimeChecks: [{ name: 'chat', host: 'chat.staging.example.com', path: '/api/info' }],
      },
    },
    prod: {
      network: { primaryIps: 3 },
      compute: { nodeCount: 3, serverType: 'cx32', volumeSize: 80 },
      storage: { expireAfterDays: 400, edge: edge('prod') },
    },
  },
  env: {
    FIRESTORE_DATABASE: { layer: 'data', output: 'firestoreDatabase' },
    STORAGE_ENDPOINT: { layer: 'storage', output: 'endpoint' },
    STORAGE_BUCKET: { layer: 'storage', output: 'bucket' },
    STORAGE_ACCESS_KEY: { layer: 'storage', output: 'accessKey' },
    STORAGE_SECRET_KEY: { layer: 'storage', output: 'secretKey' },
    EDGE_HOSTNAMES: { layer: 'storage', output: 'hostnames' },
    WORKER_SCRIPTS: { layer: 'storage', output: 'workers' },
    INGRESS_IPS: { layer: 'network', output: 'ingressIps' },
    SWARM_PRIVATE_IPS: { layer: 'compute', output: 'privateIps' },
    SWARM_PUBLIC_IPS: { layer: 'compute', output: 'publicIps' },
    FUNCTION_URLS: { layer: 'serverless', output: 'functionUrls' },
    PUBSUB_TOPICS: { layer: 'serverless', output: 'topics' },
  },
  notes: [
    'One target per layer: network and compute on Hetzner (the swarm and what it needs), data on GCP (Firestore), storage on Cloudflare (R2), serverless on GCP (Functions, Scheduler, Pub/Sub), observability on GCP (Cloud Monitoring).',
    "Cloudflare DNS, rate limiting, WAF and the Workers live in the Cloudflare storage layer's `edge` block: the network layer is Hetzner's, and serverless is GCP's, so the storage layer is the one Cloudflare stack this environment has. It runs after the network layer, whose reserved primary IPs (assigned to the swarm nodes by the compute layer) are the A records' targets, so DNS does not wait for the servers.",
    "The Hetzner firewall opens 80/443 only to Cloudflare's published ranges (Cloudflare is the edge, as the seed says); no SSH rule: add one with your own range per environment. Database ports are never opened (MongoDB runs inside the swarm on the private network).",
    "Stages: dev has 1 node (the seed's dev RocketChat runs 1 replica), 1 reserved IP, schedules paused, R2 objects expire after 30 days and hostnames under dev.example.com; staging has 3 small nodes and staging.example.com; prod has 3 cx32 nodes with Hetzner backups and delete protection, the managed WAF, Firestore delete protection with point-in-time recovery and daily backups, and R2 retention of 400 days (the seed's 12 monthly backups; restic prunes to 7 daily/4 weekly/12 monthly inside that).",
    'Replace example.com (records, worker routes, uptime check) and set accountId and zoneId on the storage layer per environment. The offline plan shows placeholders; a create request without accountId is refused, and a deployment whose edge block has records, rate limits or routes fails naming zoneId when it is unset.',
    'Functions and Workers are created with 501 placeholders; their code (functions/gcp/*, functions/cloudflare/*) is deployed by CI, and the stacks ignore later content changes.',
    "Left out: Docker Swarm initialisation, SeaweedFS, Traefik, Netdata, RocketChat, MongoDB, Keycloak and the sync app (Ansible's job on the provisioned nodes); the temporary backup server from a snapshot (created at run time by the backup function, not declared infrastructure); Qdrant Cloud and Groq Cloud (no Pulumi provider in this project: their URLs and keys are Worker/Function secrets); Vercel, GitHub Actions, git-crypt and Terraform remote state (Strata keeps state in its own backend); Cloud Run (the seed lists it without a workload).",
  ],
};
