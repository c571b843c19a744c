import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Type } from '@sinclair/typebox';
import { AwsHttpAlarms, type HttpMetricSource } from '../components/aws-http-alarms';
import { logRetentionSchema } from '../components/aws-log-retention';
import { AWS_REGION_PATTERN, awsProvider, layerRegion } from '../components/aws-provider';
import { defineLayer, optionalDependencyOutput } from '../lib/types';

export const awsObservabilityConfig = Type.Object(
  {
    region: Type.Optional(
      Type.String({
        pattern: AWS_REGION_PATTERN,
        description: "AWS region; default: the network layer's",
      }),
    ),
    logGroups: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), {
      default: ['app'],
      maxItems: 50,
      uniqueItems: true,
      description: 'Log groups to create, as /strata/<environment>/<name>',
    }),
    logRetentionDays: logRetentionSchema(14),
    alarmEmail: Type.Optional(
      Type.String({
        pattern: '^[^@\\s]+@[^@\\s.]+(\\.[^@\\s.]+)+$',
        maxLength: 254,
        description: 'Subscribe this address to the alarm topic (AWS asks it to confirm)',
      }),
    ),
    errorRatePercent: Type.Number({
      default: 1,
      exclusiveMinimum: 0,
      maximum: 100,
      description: 'Alarm when more than this % of requests answer 5xx',
    }),
    errorEvaluationMinutes: Type.Integer({
      default: 2,
      minimum: 1,
      maximum: 60,
      description: 'Minutes the 5xx rate must stay high before alarming',
    }),
    p95LatencyMs: Type.Integer({
      default: 500,
      minimum: 1,
      maximum: 600000,
      description: 'Alarm when p95 latency is above this many milliseconds',
    }),
    latencyEvaluationMinutes: Type.Integer({
      default: 5,
      minimum: 1,
      maximum: 60,
      description: 'Minutes p95 latency must stay high before alarming',
    }),
    metricsNamespace: Type.String({
      default: 'Strata/App',
      pattern: '^[A-Za-z0-9._/#:-]{1,255}$',
      description:
        'Where the application publishes its HTTP metrics when there is no load balancer to watch (e.g. EKS)',
    }),
    errorCountMetric: Type.String({
      default: 'Http5xxCount',
      pattern: '^[A-Za-z0-9._-]{1,255}$',
      description: 'Custom metric: 5xx responses (Sum)',
    }),
    requestCountMetric: Type.String({
      default: 'RequestCount',
      pattern: '^[A-Za-z0-9._-]{1,255}$',
      description: 'Custom metric: requests (Sum)',
    }),
    latencyMetric: Type.String({
      default: 'LatencyMs',
      pattern: '^[A-Za-z0-9._-]{1,255}$',
      description: 'Custom metric: response time in milliseconds',
    }),
    dashboard: Type.Boolean({
      default: true,
      description: 'Create a CloudWatch dashboard with request, error and latency graphs',
    }),
  },
  { additionalProperties: false },
);

export const awsObservability = defineLayer({
  target: 'aws',
  layer: 'observability',
  description:
    'CloudWatch log groups, 5xx-rate and p95-latency alarms (on the compute ALB when there is one) notifying an SNS topic, and a dashboard',
  config: awsObservabilityConfig,
  presets: {
    dev: { logRetentionDays: 7 },
    staging: { logRetentionDays: 30 },
    prod: { logRetentionDays: 90 },
  },
  outputs: [
    { name: 'alarmTopicArn', env: 'ALARM_TOPIC_ARN', description: 'SNS topic the alarms notify' },
    { name: 'logGroupNames', env: 'LOG_GROUP_NAMES', description: 'Log groups created' },
    { name: 'dashboardName', env: 'DASHBOARD_NAME', description: 'CloudWatch dashboard' },
  ],
  program: (args) => async () => {
    const cfg = args.config;
    const region = layerRegion(args, cfg.region);
    const provider = awsProvider(args, 'observability', region);
    const name = args.environment;

    const logGroups = cfg.logGroups.map(
      (group) =>
        new aws.cloudwatch.LogGroup(
          `${name}-${group}`,
          { name: `/strata/${name}/${group}`, retentionInDays: cfg.logRetentionDays },
          { provider },
        ),
    );
    // Not KMS-encrypted: CloudWatch cannot publish to a topic under the AWS-managed SNS key,
    // and alarm notifications carry no secrets.
    const topic = new aws.sns.Topic(`${name}-alarms`, {}, { provider });
    if (cfg.alarmEmail) {
      new aws.sns.TopicSubscription(
        `${name}-alarms-email`,
        { topic: topic.arn, protocol: 'email', endpoint: cfg.alarmEmail },
        { provider },
      );
    }

    const albArnSuffix = optionalDependencyOutput(args, 'compute', 'albArnSuffix');
    const source: HttpMetricSource = albArnSuffix
      ? {
          namespace: 'AWS/ApplicationELB',
          dimensions: { LoadBalancer: albArnSuffix },
          errorCountMetrics: ['HTTPCode_Target_5XX_Count', 'HTTPCode_ELB_5XX_Count'],
          requestCountMetric: 'RequestCount',
          latencyMetric: 'TargetResponseTime',
          latencyUnitPerMs: 0.001,
        }
      : {
          namespace: cfg.metricsNamespace,
          dimensions: {},
          errorCountMetrics: [cfg.errorCountMetric],
          requestCountMetric: cfg.requestCountMetric,
          latencyMetric: cfg.latencyMetric,
          latencyUnitPerMs: 1,
        };
    new AwsHttpAlarms(
      `${name}-http`,
      {
        source,
        topicArn: topic.arn,
        errorRatePercent: cfg.errorRatePercent,
        errorEvaluationMinutes: cfg.errorEvaluationMinutes,
        p95LatencyMs: cfg.p95LatencyMs,
        latencyEvaluationMinutes: cfg.latencyEvaluationMinutes,
      },
      { providers: [provider] },
    );

    const outputs: Record<string, unknown> = {
      alarmTopicArn: topic.arn,
      logGroupNames: pulumi.all(logGroups.map((g) => g.name)),
    };
    if (cfg.dashboard) {
      const dims = pulumi.output(source.dimensions).apply((d) => Object.entries(d).flat());
      const dashboard = new aws.cloudwatch.Dashboard(
        `${name}-http`,
        {
          dashboardName: `${name}-http`,
          dashboardBody: pulumi.jsonStringify({
            widgets: [
              ['Requests', [source.requestCountMetric], 'Sum'],
              ['5xx', source.errorCountMetrics, 'Sum'],
              ['Latency p95', [source.latencyMetric], 'p95'],
            ].map(([title, metrics, stat], i) => ({
              type: 'metric',
              x: (i % 3) * 8,
              y: 0,
              width: 8,
              height: 6,
              properties: {
                title,
                region,
                stat,
                period: 60,
                metrics: (metrics as string[]).map((m) =>
                  dims.apply((d) => [source.namespace, m, ...d]),
                ),
              },
            })),
          }),
        },
        { provider },
      );
      outputs.dashboardName = dashboard.dashboardName;
    }
    return outputs;
  },
});
