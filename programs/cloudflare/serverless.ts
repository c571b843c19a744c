import { Type } from '@sinclair/typebox';
import { CloudflareWorkers } from '../components/cloudflare-workers';
import { defineLayer, optionalDependencyOutput } from '../lib/types';
import { accountId, deployId, workerProperties, zoneId } from './schemas';

export const cloudflareServerless = defineLayer({
  target: 'cloudflare',
  layer: 'serverless',
  description:
    "Cloudflare Workers (ES modules) with zone routes and plain-text variables; workers may bind the storage layer's R2 bucket when that layer is on Cloudflare.",
  config: Type.Object({ accountId, zoneId, ...workerProperties }, { additionalProperties: false }),
  // Scripts belong to the account; the zone only matters when a worker has routes.
  requiredToDeploy: ['accountId'],
  outputs: [
    { name: 'workers', env: 'WORKER_SCRIPTS', description: 'Script names, comma-separated.' },
  ],
  program: (args) => async () => {
    const c = args.config;
    const routed = c.workers.some((w) => w.routes.length > 0);
    const workers = new CloudflareWorkers('workers', {
      prefix: args.environment,
      accountId: deployId(args, 'serverless', 'accountId', c.accountId, 'Workers scripts'),
      // Without routes no zone-scoped resource is made, so the zone may stay unset.
      zoneId: routed
        ? deployId(args, 'serverless', 'zoneId', c.zoneId, 'Workers routes')
        : (c.zoneId ?? ''),
      workers: c.workers,
      compatibilityDate: c.compatibilityDate,
      bucketName: optionalDependencyOutput(args, 'storage', 'bucket'),
    });
    return { workers: workers.scriptNames.apply((n) => n.join(',')) };
  },
});
