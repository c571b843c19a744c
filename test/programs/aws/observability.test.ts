import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { Stage } from '../../../core/domain';
import { awsObservability } from '../../../programs/aws/observability';
import { resolveLayerConfig } from '../../../programs/lib/config';
import { planLayers, type PlannedLayer } from '../../../catalogue/offline-plan';
import { defineLayer } from '../../../programs/lib/types';
import { refused } from '../../helpers/config-errors';
import { ofType } from '../../helpers/plans';

/** A compute layer that only reports a load balancer, as the ECS compute layer does. */
const fakeCompute = defineLayer({
  target: 'aws',
  layer: 'compute',
  description: 'test double',
  config: Type.Object({}),
  outputs: [],
  program: () => async () => ({ albArnSuffix: 'app/obs-alb/0123456789abcdef' }),
});

async function plan(stage: Stage, config: Record<string, unknown>, withAlb: boolean) {
  const layers: PlannedLayer[] = [
    {
      layer: 'observability',
      definition: awsObservability,
      config: resolveLayerConfig(awsObservability, stage, config),
    },
  ];
  if (withAlb) layers.unshift({ layer: 'compute', definition: fakeCompute, config: {} });
  return planLayers('obs', stage, layers);
}

test('with a load balancer: 5xx-rate and p95-latency alarms on it, notifying the SNS topic', async () => {
  const { resources, outputs } = await plan('prod', { p95LatencyMs: 500 }, true);
  const alarms = ofType(resources, 'aws:cloudwatch/metricAlarm:MetricAlarm');
  assert.equal(alarms.length, 2);
  const latency = alarms.find((a) => a.name.endsWith('p95-latency'))?.inputs;
  assert.equal(latency?.namespace, 'AWS/ApplicationELB');
  assert.equal(latency?.metricName, 'TargetResponseTime');
  assert.equal(latency?.extendedStatistic, 'p95');
  assert.equal(latency?.threshold, 0.5);
  assert.deepEqual(latency?.dimensions, { LoadBalancer: 'app/obs-alb/0123456789abcdef' });
  assert.equal(latency?.evaluationPeriods, 5);

  const errors = alarms.find((a) => a.name.endsWith('5xx-rate'))?.inputs;
  const queries = errors?.metricQueries as {
    id: string;
    expression?: string;
    metric?: { metricName: string };
  }[];
  assert.deepEqual(
    queries.filter((q) => q.metric).map((q) => q.metric?.metricName),
    ['HTTPCode_Target_5XX_Count', 'HTTPCode_ELB_5XX_Count', 'RequestCount'],
  );
  assert.match(String(queries.find((q) => q.id === 'rate')?.expression), /100 \*/);
  assert.equal(errors?.threshold, 1);
  assert.equal(errors?.evaluationPeriods, 2);

  const topicArn = outputs.observability?.alarmTopicArn?.value;
  for (const alarm of alarms) assert.deepEqual(alarm.inputs.alarmActions, [topicArn]);
  assert.deepEqual(
    ofType(resources, 'aws:cloudwatch/logGroup:LogGroup').map((g) => [
      g.inputs.name,
      g.inputs.retentionInDays,
    ]),
    [['/strata/obs/app', 90]],
  );
});

test('without a load balancer: alarms on the application namespace, in milliseconds; email subscription', async () => {
  const { resources } = await plan(
    'dev',
    { metricsNamespace: 'Auterity', alarmEmail: 'ops@example.com', logGroups: ['api', 'worker'] },
    false,
  );
  const latency = ofType(resources, 'aws:cloudwatch/metricAlarm:MetricAlarm').find((a) =>
    a.name.endsWith('p95-latency'),
  )?.inputs;
  assert.equal(latency?.namespace, 'Auterity');
  assert.equal(latency?.metricName, 'LatencyMs');
  assert.equal(latency?.threshold, 500);
  const [subscription] = ofType(resources, 'aws:sns/topicSubscription:TopicSubscription');
  assert.deepEqual(
    [subscription?.inputs.protocol, subscription?.inputs.endpoint],
    ['email', 'ops@example.com'],
  );
  assert.deepEqual(
    ofType(resources, 'aws:cloudwatch/logGroup:LogGroup').map((g) => [
      g.inputs.name,
      g.inputs.retentionInDays,
    ]),
    [
      ['/strata/obs/api', 7],
      ['/strata/obs/worker', 7],
    ],
  );
});

test('bad observability config is refused, naming the field', () => {
  refused(
    awsObservability,
    { logRetentionDays: 10 },
    'layers.observability.config.logRetentionDays',
  );
  refused(
    awsObservability,
    { errorRatePercent: 0 },
    'layers.observability.config.errorRatePercent',
  );
  refused(awsObservability, { p95LatencyMs: 'fast' }, 'layers.observability.config.p95LatencyMs');
  refused(awsObservability, { alarmEmail: 'nobody' }, 'layers.observability.config.alarmEmail');
  refused(
    awsObservability,
    { logGroups: ['has space'] },
    'layers.observability.config.logGroups[0]',
  );
  refused(awsObservability, { pagerduty: true }, 'layers.observability.config.pagerduty');
});
