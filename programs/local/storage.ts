import { pathToFileURL } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { Type } from '@sinclair/typebox';
import { STORAGE_OUTPUTS } from '../lib/outputs';
import { defineLayer } from '../lib/types';
import { DirectoryBucket } from './directory-bucket';

export const localStorage = defineLayer({
  target: 'local',
  layer: 'storage',
  description:
    'A directory bucket under STRATA_BUCKETS_DIR (shared by every worker), with generated access keys.',
  config: Type.Object(
    {
      bucket: Type.Optional(
        Type.String({
          pattern: '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$',
          description: 'Bucket name; default the environment name.',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  outputs: STORAGE_OUTPUTS,
  program: (args) => async () => {
    const root = args.runtime.bucketsDir;
    const bucket = new DirectoryBucket('bucket', {
      root,
      name: args.config.bucket ?? args.environment,
      environment: args.environment,
      stack: pulumi.getStack(),
    });
    return {
      endpoint: pathToFileURL(root).href,
      bucket: bucket.name,
      accessKey: pulumi.secret(bucket.accessKey),
      secretKey: pulumi.secret(bucket.secretKey),
    };
  },
});
