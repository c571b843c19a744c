import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { LayerName } from '../../core/domain';
import { optionalDependencyOutput, type ProgramArgs } from '../lib/types';

export const DEFAULT_AWS_REGION = 'eu-west-1';
export const AWS_REGION_PATTERN = '^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\\d$';

/**
 * The region a layer runs in: its own `region` config, else the network layer's region (so an
 * environment's layers cannot drift apart), else the default. The provider is explicit so that
 * AZ names derived from the region always match where resources land, whatever AWS_REGION the
 * worker happens to have.
 */
export function layerRegion(
  args: ProgramArgs<unknown>,
  configured: string | undefined,
): pulumi.Output<string> {
  if (configured) return pulumi.output(configured);
  return optionalDependencyOutput(args, 'network', 'region') ?? pulumi.output(DEFAULT_AWS_REGION);
}

/** One provider per layer program, tagging everything it creates with the environment and layer. */
export function awsProvider(
  args: ProgramArgs<unknown>,
  layer: LayerName,
  region: pulumi.Input<string>,
): aws.Provider {
  return new aws.Provider(`${args.environment}-${layer}-aws`, {
    region,
    defaultTags: {
      tags: {
        'strata:environment': args.environment,
        'strata:stage': args.stage,
        'strata:layer': layer,
        'managed-by': 'strata',
      },
    },
  });
}
