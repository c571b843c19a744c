import { Type } from '@sinclair/typebox';
import { CloudflareWorkers } from '../components/cloudflare-workers';
import { defineLayer, optionalDependencyOutput } from '../types';
import { accountId, placeholder, workerProperties, zoneId } from './schemas';

export const cloudflareServerless = defineLayer({
  target: 'cloudflare',
  layer: 'serverless',
  description:
    "Cloudflare Workers (ES modules) with zone routes and plain-text variables; workers may bind the storage layer's R2 bucket when that layer is on Cloudflare.",
  config: Type.Object({ accountId, zoneId, ...workerProperties }, { additionalProperties: false }),
  outputs: [
    { name: 'workers', env: 'WORKER_SCRIPTS', description: 'Script names, comma-separated.' },
  ],
  program: (args) => async () => {
    const c = args.config;
    const workers = new CloudflareWorkers('workers', {
      prefix: args.environment,
      accountId: placeholder('accountId', c.accountId),
      zoneId: placeholder('zoneId', c.zoneId),
      workers: c.workers,
      compatibilityDate: c.compatibilityDate,
      bucketName: optionalDependencyOutput(args, 'storage', 'bucket'),
    });
    return { workers: workers.scriptNames.apply((n) => n.join(',')) };
  },
});
