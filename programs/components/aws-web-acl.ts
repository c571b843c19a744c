import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface AwsWebAclArgs {
  /** Requests per 5 minutes from one IP before it is blocked. */
  rateLimitPerIp: number;
}

const visibility = (metricName: string) => ({
  cloudwatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

/**
 * A regional WAFv2 web ACL for load balancers: a per-IP rate limit and AWS's managed
 * SQL-injection rule set (seed 004's "api_protection"). Managed rule groups take an override
 * action rather than an action, so the group's own block verdicts apply.
 */
export class AwsWebAcl extends pulumi.ComponentResource {
  readonly acl: aws.wafv2.WebAcl;

  constructor(name: string, args: AwsWebAclArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:aws:WebAcl', name, {}, opts);
    this.acl = new aws.wafv2.WebAcl(
      name,
      {
        description: 'Rate limiting and SQL injection protection',
        scope: 'REGIONAL',
        defaultAction: { allow: {} },
        rules: [
          {
            name: 'RateLimitRule',
            priority: 1,
            action: { block: {} },
            statement: {
              rateBasedStatement: { limit: args.rateLimitPerIp, aggregateKeyType: 'IP' },
            },
            visibilityConfig: visibility('RateLimitRule'),
          },
          {
            name: 'SQLInjectionRule',
            priority: 2,
            overrideAction: { none: {} },
            statement: {
              managedRuleGroupStatement: {
                name: 'AWSManagedRulesSQLiRuleSet',
                vendorName: 'AWS',
              },
            },
            visibilityConfig: visibility('SQLInjectionRule'),
          },
        ],
        visibilityConfig: visibility(name.replace(/[^A-Za-z0-9_-]/g, '-')),
      },
      { parent: this },
    );
    this.registerOutputs({ arn: this.acl.arn });
  }
}
