import type { OutputSpec } from './types';

/** The default bundle names of a data layer, the same on every target (README, "Bundles"). */
export const DATA_OUTPUTS: OutputSpec[] = [
  { name: 'host', env: 'DB_HOST', description: 'Database host name or address.' },
  { name: 'port', env: 'DB_PORT', description: 'Database port.' },
  { name: 'database', env: 'DB_NAME', description: 'Database name.' },
  { name: 'username', env: 'DB_USER', description: 'Login role of the application.' },
  { name: 'password', env: 'DB_PASSWORD', secret: true, description: 'Password of that role.' },
  {
    name: 'url',
    env: 'DATABASE_URL',
    secret: true,
    description: 'Connection URL with credentials.',
  },
  {
    name: 'redisUrl',
    env: 'REDIS_URL',
    secret: true,
    description: 'Cache URL with credentials, when the layer has a cache.',
  },
];

/** The default bundle names of a storage layer, the same on every target (README, "Bundles"). */
export const STORAGE_OUTPUTS: OutputSpec[] = [
  { name: 'endpoint', env: 'STORAGE_ENDPOINT', description: 'Object storage endpoint.' },
  { name: 'bucket', env: 'STORAGE_BUCKET', description: 'Bucket name.' },
  { name: 'accessKey', env: 'STORAGE_ACCESS_KEY', secret: true, description: 'Access key id.' },
  { name: 'secretKey', env: 'STORAGE_SECRET_KEY', secret: true, description: 'Secret access key.' },
];
