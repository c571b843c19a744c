import type { Blueprint } from '../lib/types';

/** 371GPT (seeds 000 and 001): the Terraform-on-OVH system as four OpenStack layers. */
export const gpt371Ovh: Blueprint = {
  name: '371gpt-ovh',
  version: '1.0.0',
  description:
    '371GPT on OVH Public Cloud (OpenStack): private network, router and security groups; PostgreSQL with pgvector on a persistent volume with nightly dumps; object storage for assets, models, datasets and backups; the core (s1-8), XPipe and Kespa (s1-4) instances and a floating IP for the API.',
  seeds: ['000', '001'],
  layers: {
    network: {
      target: 'openstack',
      config: {
        cidr: '10.10.0.0/24',
        ingressRules: [
          {
            protocol: 'tcp',
            portMin: 80,
            cidr: '0.0.0.0/0',
            description: 'HTTP (API, redirects to HTTPS)',
          },
          { protocol: 'tcp', portMin: 443, cidr: '0.0.0.0/0', description: 'HTTPS (API)' },
        ],
      },
    },
    data: {
      target: 'openstack',
      config: { databaseName: 'gpt371', username: 'gpt371', pgvector: true },
    },
    storage: {
      target: 'openstack',
      config: { containers: ['assets', 'models', 'datasets', 'backups'] },
    },
    compute: {
      target: 'openstack',
      config: {
        instances: [
          { name: 'core', flavor: 's1-8', count: 1, floatingIp: true },
          { name: 'xpipe', flavor: 's1-4', count: 1, floatingIp: false, servicePort: 8080 },
          { name: 'kespa', flavor: 's1-4', count: 1, floatingIp: false },
        ],
        serviceInstance: 'xpipe',
      },
    },
  },
  stages: {
    dev: { data: { flavor: 'd2-4', volumeSize: 20 } },
    prod: { data: { flavor: 'b2-15', volumeSize: 200 } },
  },
  env: {
    DB_HOST: { layer: 'data', output: 'host' },
    DB_PORT: { layer: 'data', output: 'port' },
    DB_NAME: { layer: 'data', output: 'database' },
    DB_USER: { layer: 'data', output: 'username' },
    DB_PASSWORD: { layer: 'data', output: 'password' },
    STORAGE_ENDPOINT: { layer: 'storage', output: 'endpoint' },
    STORAGE_ACCESS_KEY: { layer: 'storage', output: 'accessKey' },
    STORAGE_SECRET_KEY: { layer: 'storage', output: 'secretKey' },
    STORAGE_BUCKET: { layer: 'storage', output: 'bucket' },
    XPIPE_HOST: { layer: 'compute', output: 'serviceHost' },
    XPIPE_PORT: { layer: 'compute', output: 'servicePort' },
  },
  notes: [
    'The seed\'s "Supabase instance" is PostgreSQL with pgvector on an instance whose data directory is a persistent Cinder volume; the Supabase API stack (auth, storage, realtime) is an application concern deployed onto it or the core instance, not infrastructure. OVH\'s managed PostgreSQL is not part of the OpenStack API, hence instance + volume.',
    'Backups: a nightly pg_dump (cron from cloud-init) into a private, versioned object-storage container through the S3 API, kept 7 days (14 in prod); on in staging and prod, enforced in prod. Cinder volume snapshots have no schedule in the OpenStack API, so they are left to the operator.',
    "Deletion protection in prod is Pulumi's `protect` on the database instance, volume and backup container (OpenStack has no server-side delete lock).",
    "Encryption at rest in prod: the database volume uses OVH's LUKS variant of its type (high-speed-luks), with OVHcloud-managed keys; pick a region that offers it. Multi-AZ does not apply: OVH Public Cloud regions are single-zone and the database is one instance.",
    'Object storage: containers <env>-assets (STORAGE_BUCKET, the seed\'s "371gpt-assets"), <env>-models, <env>-datasets and <env>-backups, all private; names carry the environment so several environments share one project.',
    'The database name is "gpt371" rather than the seed\'s "371gpt": an unquoted PostgreSQL identifier cannot start with a digit.',
    "XPIPE_HOST/XPIPE_PORT are the XPipe instance's private address and port 8080 (the compute layer's serviceHost/servicePort). Only the core instance gets a floating IP and the public security group (HTTP/HTTPS); XPipe and Kespa are reached over the private network.",
    'Left out: RapidAPI, Odoo and Pimcore (application-level integrations, as seed 000 says), TLS termination and API keys (application), monitoring/intrusion detection (no OpenStack API for it; no observability layer), and SSH access (add an ingress rule and keyPair per environment).',
  ],
};
